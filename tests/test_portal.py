"""Reporting a matter on the resident portal: no login, a map point or a community, photos
resized without their metadata, consent, and the guards against abuse (honeypot, rate limits
per IP and per phone, file checks). Every refusal keeps what was typed and creates nothing."""

import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from yimen.cases import workflow
from yimen.cases.models import Attachment, Case, Category, Channel, Party, Status
from yimen.portal.views.report import RECEIPT, title_from

from . import portal_support as support
from .portal_support import GPS_IFD, INSIDE, OUTSIDE, PHONE, photo, photo_bytes, report_data

fresh_cache, media, resident = support.fresh_cache, support.media, support.resident

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def send(client, data=None, files=(), **extra):
    payload = dict(data or {})
    if files:
        payload["photos"] = list(files)
    return client.post("/report/", payload, **extra)


# --- the form --------------------------------------------------------------------------------


def test_the_form_needs_no_login_and_has_no_staff_navigation(cases_world, resident):
    response = resident.get("/report/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="category"' in html and 'name="consent"' in html
    assert 'id="portal-map-config" type="application/json"' in html
    assert "/cases/" not in html and "/org/" not in html  # no staff navigation
    assert "<script>" not in html  # only external scripts and the JSON block
    config = json.loads(
        html.split('id="portal-map-config" type="application/json">')[1].split("<")[0]
    )
    assert config["areas"] == "/report/areas.geojson"
    assert config["tiles"] == ""  # no tile server configured: a plain background
    # Without JavaScript the resident chooses the community from a list.
    assert f'<option value="{cases_world.community_a.pk}">' in html


def test_the_form_speaks_chinese_first(cases_world):
    from django.test import Client

    html = Client().get("/report/").content.decode()
    assert '<html lang="zh-hans">' in html
    assert "邻里纠纷" in html  # categories in their Chinese names


def test_categories_in_english_on_english_pages(cases_world, resident):
    html = resident.get("/report/").content.decode()
    assert "Neighbour dispute" in html


def test_tiles_come_only_from_the_configured_server(cases_world, resident, settings):
    settings.YIMEN_MAP_TILE_URL = "https://tiles.example.org/{z}/{x}/{y}.png"
    html = resident.get("/report/").content.decode()
    assert "https://tiles.example.org/{z}/{x}/{y}.png" in html


# --- a report that goes through ----------------------------------------------------------------


def test_a_report_with_a_photo_becomes_an_online_case_with_a_resized_bare_jpeg(
    cases_world, resident, media
):
    response = send(resident, report_data(), files=[photo(size=(4000, 3000))])
    assert response.status_code == 302
    assert response["Location"] == "/report/done/"

    case = Case.objects.get()
    assert case.channel == Channel.ONLINE
    assert case.status == Status.REGISTERED
    assert case.received_by is None
    assert case.jurisdiction == cases_world.community_a  # from the map point
    assert str(case.latitude) == INSIDE[0] and str(case.longitude) == INSIDE[1]
    assert case.title == "楼上装修噪音，每天早上七点开始。"
    assert case.address == "桂花小区3幢"
    party = Party.objects.get(case=case)
    assert (party.name, party.role, party.phone) == ("王芳", "applicant", PHONE)
    assert case.events.get(action="registered").data["source"] == "portal"

    stored = Attachment.objects.get(case=case)
    assert stored.content_type == "image/jpeg"
    assert stored.original_name == "现场.jpg"
    with stored.file.open("rb") as handle:
        data = handle.read()
    assert stored.size == len(data)
    image = Image.open(io.BytesIO(data))
    assert image.format == "JPEG"
    assert image.size == (1600, 1200)
    assert "exif" not in image.info
    assert not image.getexif()
    assert not image.getexif().get_ifd(GPS_IFD)
    assert b"PhoneMaker" not in data


def test_the_receipt_shows_number_and_code_once_and_is_printable(cases_world, resident, media):
    send(resident, report_data())
    case = Case.objects.get()
    code = resident.session[RECEIPT]["code"]
    assert workflow.tracking_hash(code) == case.tracking_code_hash

    page = resident.get("/report/done/")
    html = page.content.decode()
    assert page.status_code == 200
    assert case.receipt_number in html and code in html
    assert 'class="print primary"' in html and "js/print.js" in html
    assert "http://testserver/track/" in html
    assert 'class="langswitch"' not in html  # switching would reload the page: no second showing
    assert "no-store" in page["Cache-Control"]

    again = resident.get("/report/done/").content.decode()
    assert code not in again
    assert case.receipt_number in again  # the number may be shown again, the code never
    assert "shown once" in again
    assert 'class="langswitch"' in again


def test_the_orientation_is_applied_before_the_metadata_goes(cases_world, resident, media):
    send(resident, report_data(), files=[photo(size=(800, 400), orientation=6)])
    stored = Attachment.objects.get()
    with stored.file.open("rb") as handle:
        image = Image.open(io.BytesIO(handle.read()))
    assert image.size == (400, 800)  # turned upright, as the phone showed it


def test_a_png_with_transparency_is_stored_as_jpeg(cases_world, resident, media):
    png = SimpleUploadedFile("图.png", photo_bytes(size=(300, 200), fmt="PNG", mode="RGBA"))
    response = send(resident, report_data(), files=[png])
    assert response.status_code == 302
    stored = Attachment.objects.get()
    assert (stored.original_name, stored.content_type) == ("图.jpg", "image/jpeg")


def test_without_a_point_the_chosen_community_places_the_matter(cases_world, resident, media):
    data = report_data(latitude="", longitude="", community=str(cases_world.community_b.pk))
    assert send(resident, data).status_code == 302
    case = Case.objects.get()
    assert case.jurisdiction == cases_world.community_b
    assert case.latitude is None


def test_a_point_decides_over_the_chosen_community(cases_world, resident, media):
    send(resident, report_data(community=str(cases_world.community_b.pk)))
    assert Case.objects.get().jurisdiction == cases_world.community_a


def test_a_complaint_about_staff_names_the_unit_and_is_never_routed_to_it(
    cases_world, resident, media
):
    w = cases_world
    category = Category.objects.get(code="staff_complaint")
    response = send(resident, report_data(category=str(category.pk)))
    assert response.status_code == 400
    assert "Choose the unit the complaint is about." in response.content.decode()
    assert not Case.objects.exists()

    send(resident, report_data(category=str(category.pk), about_unit=str(w.police.pk)))
    case = Case.objects.get()
    assert case.about_unit == w.police
    with pytest.raises(workflow.Invalid):
        workflow.route_case(case, actor=w.director, unit=w.police, complexity="general")


def test_title_from_the_first_line_shortened():
    assert title_from("\n  短句。\n第二行") == "短句。"
    assert title_from("一" * 40) == "一" * 29 + "…"


# --- refusals keep what was typed and create nothing --------------------------------------


def test_missing_fields_are_named_and_everything_typed_is_kept(cases_world, resident, media):
    data = report_data(phone="", consent=None, category=None)
    response = send(resident, data)
    html = response.content.decode()
    assert response.status_code == 400
    assert "Choose what the matter is about." in html
    assert "Enter a phone number the center can call back." in html
    assert "Please agree to the privacy notice to send the report." in html
    assert "楼上装修噪音，每天早上七点开始。" in html  # the account as typed
    assert 'value="桂花小区3幢"' in html
    assert f'value="{INSIDE[0]}"' in html  # the map point too
    assert not Case.objects.exists()


def test_no_place_at_all_is_asked_for(cases_world, resident, media):
    response = send(resident, report_data(latitude="", longitude=""))
    assert response.status_code == 400
    assert "Mark the place on the map, or choose the community or village." in (
        response.content.decode()
    )
    assert not Case.objects.exists()


def test_a_point_outside_the_jurisdiction_is_refused_and_nothing_is_created(
    cases_world, resident, media
):
    lat, lon = OUTSIDE
    response = send(resident, report_data(latitude=lat, longitude=lon), files=[photo()])
    html = response.content.decode()
    assert response.status_code == 400
    assert "The point you marked lies outside the center&#x27;s area." in html
    assert "现场.jpg" in html  # the photo to choose again is named
    assert not Case.objects.exists()
    assert not Attachment.objects.exists()
    assert not list(media.rglob("*.jpg"))


def test_a_half_point_or_nonsense_coordinates_are_refused(cases_world, resident, media):
    assert send(resident, report_data(longitude="")).status_code == 400
    assert send(resident, report_data(latitude="north")).status_code == 400
    assert send(resident, report_data(latitude="95")).status_code == 400
    assert not Case.objects.exists()


def test_an_oversized_photo_is_refused_with_its_name(cases_world, resident, media, settings):
    settings.YIMEN_UPLOAD_MAX_BYTES = 20 * 1024
    response = send(resident, report_data(), files=[photo("大照片.jpg")])
    html = response.content.decode()
    assert response.status_code == 400
    assert "大照片.jpg is too large" in html
    assert "楼上装修噪音" in html
    assert not Case.objects.exists()


def test_only_photos_and_at_most_three(cases_world, resident, media):
    pdf = SimpleUploadedFile("材料.pdf", PDF, content_type="image/jpeg")
    response = send(resident, report_data(), files=[pdf])
    assert response.status_code == 400
    assert "材料.pdf is not a photo" in response.content.decode()
    fake = SimpleUploadedFile("fake.jpg", b"MZ\x90\x00 not an image", content_type="image/jpeg")
    assert send(resident, report_data(), files=[fake]).status_code == 400
    response = send(resident, report_data(), files=[photo(f"p{i}.jpg") for i in range(4)])
    assert response.status_code == 400
    assert "At most 3 photos." in response.content.decode()
    assert not Case.objects.exists()


def test_a_broken_photo_is_refused_after_its_header(cases_world, resident, media):
    broken = SimpleUploadedFile("坏.jpg", photo_bytes()[:300], content_type="image/jpeg")
    response = send(resident, report_data(), files=[broken])
    assert response.status_code == 400
    assert "坏.jpg could not be read as a photo." in response.content.decode()
    assert not Case.objects.exists()


def test_a_filled_honeypot_is_refused_plainly_and_creates_nothing(cases_world, resident, media):
    response = send(resident, report_data(website="http://cheap-pills.example"))
    assert response.status_code == 400
    html = response.content.decode()
    assert "The report could not be accepted" in html
    assert "honeypot" not in html.lower() and "robot" not in html.lower()
    assert not Case.objects.exists()


def test_the_honeypot_is_hidden_from_people(cases_world, resident):
    html = resident.get("/report/").content.decode()
    assert '<div class="portal-hp" aria-hidden="true">' in html
    assert 'name="website"' in html and 'tabindex="-1"' in html


# --- rate limits ------------------------------------------------------------------------------


def test_reports_per_ip_are_limited_and_the_form_is_kept(cases_world, resident, media, settings):
    settings.YIMEN_PORTAL_SUBMISSIONS_PER_IP_HOUR = 2
    for n in range(2):
        assert send(resident, report_data(phone=f"1391234000{n}")).status_code == 302
    response = send(resident, report_data(phone="13912340009", description="第三件事"))
    html = response.content.decode()
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "Too many reports were sent" in html
    assert "第三件事" in html and 'value="13912340009"' in html
    assert Case.objects.count() == 2
    # Another connection is not affected.
    other = send(resident, report_data(phone="13912340008"), REMOTE_ADDR="10.1.2.3")
    assert other.status_code == 302


def test_reports_per_phone_are_limited_however_it_is_written(
    cases_world, resident, media, settings
):
    settings.YIMEN_PORTAL_SUBMISSIONS_PER_PHONE_DAY = 2
    for n, phone in enumerate(["138 1234 5678", "138-1234-5678"]):
        assert (
            send(resident, report_data(phone=phone), REMOTE_ADDR=f"10.0.0.{n}").status_code == 302
        )
    response = send(resident, report_data(phone=PHONE), REMOTE_ADDR="10.0.0.9")
    assert response.status_code == 429
    assert Case.objects.count() == 2


def test_mistakes_do_not_count_against_the_limit(cases_world, resident, media, settings):
    settings.YIMEN_PORTAL_SUBMISSIONS_PER_IP_HOUR = 1
    for _ in range(3):
        assert send(resident, report_data(consent=None)).status_code == 400
    assert send(resident, report_data()).status_code == 302


def test_the_proxy_header_names_the_client_when_configured(cases_world, resident, media, settings):
    settings.YIMEN_PORTAL_SUBMISSIONS_PER_IP_HOUR = 1
    settings.YIMEN_CLIENT_IP_HEADER = "X-Forwarded-For"
    first = send(resident, report_data(phone="13900000001"), HTTP_X_FORWARDED_FOR="1.1.1.1")
    second = send(resident, report_data(phone="13900000002"), HTTP_X_FORWARDED_FOR="2.2.2.2")
    third = send(
        resident, report_data(phone="13900000003"), HTTP_X_FORWARDED_FOR="9.9.9.9, 2.2.2.2"
    )
    assert (first.status_code, second.status_code, third.status_code) == (302, 302, 429)


# --- public pages -----------------------------------------------------------------------------


def test_the_privacy_notice_says_what_who_and_how_long(cases_world, resident, settings):
    settings.YIMEN_ARCHIVE_AFTER_DAYS = 120
    response = resident.get("/report/privacy/")
    html = response.content.decode()
    assert response.status_code == 200
    for heading in ("What we collect", "Who sees it", "How long it is kept"):
        assert heading in html
    assert "120 days" in html
    assert 'href="/report/privacy/"' in resident.get("/report/").content.decode()


def test_areas_geojson_has_boundaries_and_names_and_no_cases(cases_world, resident, media):
    send(resident, report_data())
    case = Case.objects.get()
    response = resident.get("/report/areas.geojson")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/geo+json"
    body = response.content.decode()
    for secret in (case.receipt_number, case.title, PHONE, "王芳", "桂花小区3幢"):
        assert secret not in body
    collection = json.loads(body)
    assert collection["type"] == "FeatureCollection"
    names = {f["properties"]["name"] for f in collection["features"]}
    assert names == {"桂花社区"}  # only the nodes that have a boundary
    feature = collection["features"][0]
    assert set(feature) == {"type", "geometry", "properties"}
    assert set(feature["properties"]) == {"id", "name", "level", "parent"}
    assert feature["geometry"]["type"] == "Polygon"


def test_portal_pages_are_public_and_staff_pages_are_not(cases_world, resident):
    for url in ("/report/", "/report/privacy/", "/report/areas.geojson", "/track/", "/stats/"):
        assert resident.get(url).status_code == 200, url
    assert resident.get("/cases/").status_code == 302  # to the login page
    assert 'href="/report/"' in resident.get("/login/").content.decode()
