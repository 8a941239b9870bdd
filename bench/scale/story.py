"""Each generated case's story, from registration to where it stands now.

A case is played forward in time as the workflow would have moved it — registered (or
settled on the spot), routed with a slip and a working-day deadline, perhaps returned and
routed again, accepted, handled with recorded actions and perhaps an extension, mediated
when a committee has it (consent, the notice of the right to go to court, sessions, an
agreement and its follow-up visit, or a failure and a transfer to the court), resolved,
closed, followed up, archived after the retention setting, its parties anonymised after
theirs — and cut at "now": whatever would happen later does not exist yet, so the case's
status, dates and rows are exactly those of its last step. Most cases are handled on time;
some late, a few stall for months (the long-overdue open cases every center has).

Everything comes from one ``random.Random`` per day of intake, seeded from ``--seed``
and the day, so a seed gives the same township, cases and rows however the load is
batched. Times are seconds since the epoch (UTC); staff act in working hours on working
days of the published calendar (``yimen.workdays``), residents whenever they like.
"""

import json
import random
from bisect import bisect
from datetime import UTC, date, datetime, timedelta
from itertools import accumulate
from typing import Any

from . import texts

DAY = 86400
LOCAL = 8 * 3600  # Asia/Shanghai, no daylight saving
MORNING, EVENING = 8 * 3600 + 1800, 17 * 3600 + 1800

CATEGORY_WEIGHTS = {
    "family": 6, "neighbour": 12, "property": 12, "compensation": 4, "land": 4, "labour": 6,
    "public_order": 8, "hazard": 8, "environment": 12, "urban": 12, "social": 8,
    "staff_complaint": 1, "other": 7,
}  # fmt: skip
CHANNELS = {"visit": 30, "call": 30, "letter": 5, "online": 15, "grid": 18, "transfer": 2}
COMPLEXITIES = {"general": 72, "complex": 20, "very_complex": 6.5, "leader": 1.5}
ACTION_KINDS = ["visit", "call", "meeting", "document", "other"]
SATISFACTION = {"satisfied": 78, "basically": 15, "dissatisfied": 7}


class Later(Exception):
    """The next step of the story would happen after now."""


def _table(weights: dict[str, float], size: int = 1000) -> list[str]:
    """A lookup table: ``table[int(random() * len(table))]`` draws by weight."""
    keys = list(weights)
    bounds = list(accumulate(weights.values()))
    return [keys[bisect(bounds, (i + 0.5) / size * bounds[-1])] for i in range(size)]


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _utc(ts: float | None) -> datetime | None:
    return None if ts is None else datetime.fromtimestamp(ts, UTC)


def _local_moment(day: date, seconds: float) -> float:
    """Seconds since the epoch of ``seconds`` past local midnight of ``day``."""
    return (day - date(1970, 1, 1)).days * DAY + seconds - LOCAL


def _nightly(ts: float) -> float:
    """The first nightly sweep (00:10 local) after ``ts``."""
    return (int((ts + LOCAL) // DAY) + 1) * DAY + 600 - LOCAL


def _when(ts: float) -> str:
    """A local time as the mediation timeline writes it (``Y-m-d H:i``)."""
    return datetime.fromtimestamp(ts + LOCAL, UTC).strftime("%Y-%m-%d %H:%M")


class Timeline:
    """A case's status and events so far; notes are kept with the pieces the index reads.

    ``pieces`` cut a note at punctuation or spaces, where jieba cuts anyway, so the index
    terms of the note are those of its pieces one after another; ``(text, True)`` pieces
    are segmented once and remembered, ``(text, False)`` ones (numbers, times) every time.
    """

    __slots__ = ("events", "notes", "status")

    def __init__(self) -> None:
        self.events: list[tuple] = []
        self.notes: list[tuple[str, tuple]] = []
        self.status = ""

    def add(self, at: float, actor: Any, action: str, to: str = "", *, note: str = "",
            data: str = "{}", public: bool = False, pieces: tuple = (),
            before: str | None = None) -> None:  # fmt: skip
        to = to or self.status
        self.events.append((at, actor, action, self.status if before is None else before, to,
                            note, data, public))  # fmt: skip
        if note:
            self.notes.append((note, pieces or ((note, True),)))
        self.status = to


class Stories:
    """Plays cases forward and hands each row to its table's writer."""

    retention = 3 * 365 * DAY  # YIMEN_RETENTION_DAYS
    archive_days = 90  # YIMEN_ARCHIVE_AFTER_DAYS
    follow_up_days = 30  # YIMEN_MEDIATION_FOLLOW_UP_DAYS

    def __init__(self, *, town: Any, today: date, now: float, start: date, seed: int,
                 writers: dict[str, Any], ids: dict[str, int], counters: dict,
                 phones: list[str], id_numbers: list[str], search: str, vendor: str,
                 triage_from: date, labels: dict[str, str]) -> None:  # fmt: skip
        from django.conf import settings

        from yimen.cases.deadlines import due_date
        from yimen.cases.workflow import tracking_hash
        from yimen.search.index import _tsvector
        from yimen.search.segment import index_terms
        from yimen.workdays.services import load_calendar

        self.town, self.today, self.now, self.seed = town, today, now, seed
        self.w, self.ids, self.counters = writers, ids, counters
        self.phones, self.id_numbers = phones, id_numbers
        self.search, self.vendor, self.labels = search, vendor, labels
        self.retention = settings.YIMEN_RETENTION_DAYS * DAY
        self.archive_days = settings.YIMEN_ARCHIVE_AFTER_DAYS
        self.follow_up_days = settings.YIMEN_MEDIATION_FOLLOW_UP_DAYS
        self.triage_from = _local_moment(triage_from, 0)
        self._due_date, self._tracking_hash = due_date, tracking_hash
        self._tsvector, self._index_terms = _tsvector, index_terms
        self.day0 = (start - date(1970, 1, 1)).days - 7
        last = (today - date(1970, 1, 1)).days + 800
        self.calendar = load_calendar(start - timedelta(days=7), today + timedelta(days=800))
        self.working = bytearray(
            self.calendar.is_working_day(date(1970, 1, 1) + timedelta(days=d))
            for d in range(self.day0, last + 1)
        )
        self._dates: dict[int, date] = {}
        self._deadlines: dict[tuple[str, int], tuple[date, bool]] = {}
        self._terms: dict[str, list[str]] = {}
        self.categories = _table(CATEGORY_WEIGHTS)
        self.channels = _table(CHANNELS)
        self.complexities = _table(COMPLEXITIES)
        self.satisfactions = _table(SATISFACTION)
        # Some communities bring far more matters than others: a long tail, shuffled.
        rng = random.Random(f"communities:{seed}")
        order = list(range(len(town.communities)))
        rng.shuffle(order)
        weights = {str(k): 1 / (1 + rank) ** 0.6 for rank, k in enumerate(order)}
        self.community_table = [town.communities[int(k)] for k in _table(weights, 10000)]
        self.names = [s + g for s in texts.SURNAMES for g in texts.GIVEN]
        self.court = town.unit_names.get(town.street_units.get("court"), "人民法庭")

    # --- time, numbers, words ---------------------------------------------------------------

    def local_date(self, ts: float) -> date:
        day = int((ts + LOCAL) // DAY)
        found = self._dates.get(day)
        if found is None:
            found = self._dates[day] = date(1970, 1, 1) + timedelta(days=day)
        return found

    def work(self, ts: float, rng: random.Random) -> float:
        """The first moment in working hours of a working day at or after ``ts``."""
        day, second = divmod(ts + LOCAL, DAY)
        if second >= EVENING:
            day, second = day + 1, MORNING + rng.random() * 5400
        elif second < MORNING:
            second = MORNING + rng.random() * 5400
        while not self.working[int(day) - self.day0]:
            day += 1
        return day * DAY + second - LOCAL

    def later(self, ts: float, hours: float, rng: random.Random) -> float:
        """``hours`` after ``ts``, moved into working time; ``Later`` when that is after now."""
        at = self.work(ts + hours * 3600, rng)
        if at > self.now:
            raise Later
        return at

    def deadline(self, complexity: str, start: date) -> tuple[date, bool]:
        key = (complexity, start.toordinal())
        found = self._deadlines.get(key)
        if found is None:
            due = self._due_date(complexity, start, self.calendar)
            found = self._deadlines[key] = (due.date, due.provisional)
        return found

    def terms(self, text: str, remember: bool = True) -> list[str]:
        found = self._terms.get(text)
        if found is None:
            found = self._index_terms(text)
            if remember and len(self._terms) < 150_000:
                self._terms[text] = found
        return found

    def number(self, prefix: str, ts: float) -> str:
        year = self.local_date(ts).year
        value = self.counters[prefix, year] = self.counters.get((prefix, year), 0) + 1
        return f"{prefix}-{year}-{value:06d}"

    def next_id(self, table: str) -> int:
        self.ids[table] += 1
        return self.ids[table]

    # --- one case ---------------------------------------------------------------------------

    def case(self, rng: random.Random, received: float) -> None:  # noqa: C901 - one story
        town, w, now = self.town, self.w, self.now
        rand = rng.random
        case_id = self.next_id("case")
        code = self.categories[int(rand() * 1000)]
        category, dispute = town.categories[code]
        community = self.community_table[int(rand() * 10000)]
        day, second = divmod(received + LOCAL, DAY)
        office_hours = MORNING <= second < EVENING and self.working[int(day) - self.day0]
        channel = self.channels[int(rand() * 1000)]
        if not office_hours and channel in ("visit", "letter", "transfer"):
            channel = "call" if rand() < 0.5 else "online"
        if channel == "grid" or (community.grids and rand() < 0.75):
            place = community.grids[int(rand() * len(community.grids))]
        else:
            place = community.node
        if channel == "grid":
            receiver = community.grid_worker
        elif channel == "online":
            receiver = None
        else:
            receiver = community.desk if rand() < 0.9 else town.director
        titles, sentences, results = texts.CATEGORY_TEXTS.get(code, texts.CATEGORY_TEXTS["other"])
        title = titles[int(rand() * len(titles))]
        first = int(rand() * len(sentences))
        then = (first + 1 + int(rand() * (len(sentences) - 1))) % len(sentences)
        address = ""
        latitude = longitude = None
        if rand() < 0.6:
            estate = community.estates[int(rand() * 3)]
            address = f"{estate}{1 + int(rand() * 30)}幢{1 + int(rand() * 4)}单元"
            centre = town.places.get(place)
            if centre and rand() < 0.7:
                latitude = round(centre[0] + (rand() - 0.5) * 0.003, 6)
                longitude = round(centre[1] + (rand() - 0.5) * 0.003, 6)
        account = (address, sentences[first], sentences[then]) if address else (
            sentences[first], sentences[then])  # fmt: skip
        description = f"{address}，{sentences[first]}{sentences[then]}" if address else (
            sentences[first] + sentences[then])  # fmt: skip
        about_unit = community.workstation if code == "staff_complaint" else None

        # Parties: an applicant (a grid worker's own report may name nobody), a respondent in
        # a dispute, now and then one more. Phones come from a pool, so residents come back.
        parties: list[tuple] = []  # (id, role, name, phone, id_number)
        if channel != "grid" or rand() < 0.6:
            roles = ["applicant", "respondent"] if dispute else ["applicant"]
            if rand() < 0.15:
                roles.append("other" if dispute else "applicant")
            for role in roles:
                phone = ""
                if role == "applicant" or rand() < 0.6:
                    # Regulars: three calls in ten come from the first 4 % of the numbers.
                    pool = len(self.phones) // 25 if rand() < 0.3 else len(self.phones)
                    phone = self.phones[int(rand() * pool)]
                id_number = ""
                if rand() < 0.1:
                    id_number = self.id_numbers[int(rand() * len(self.id_numbers))]
                name = self.names[int(rand() * len(self.names))]
                parties.append((self.next_id("party"), role, name, phone, id_number))

        tl = Timeline()
        lead_unit = leader = assigned_on = deadline = resolved_at = closed_at = None
        archived_at = None
        complexity = result = transferred_to = ""
        provisional = on_the_spot = False
        co_units: tuple[int, ...] = ()
        mediation: dict[str, Any] | None = None
        data = '{"channel": "online", "source": "portal"}' if channel == "online" else (
            f'{{"channel": "{channel}"}}')  # fmt: skip
        tl.add(received, receiver, "registered", "registered", data=data, public=True)
        suggestion = self.suggest(rand, code, community) if received >= self.triage_from else None
        try:
            if channel in ("visit", "call") and not dispute and rand() < 0.12:
                # Settled on the spot (当场办结): registered and closed in one step.
                at = received + 60 + rand() * 900
                if at > now:
                    raise Later
                result = results[int(rand() * len(results))]
                on_the_spot, resolved_at, closed_at = True, at, at
                tl.add(at, receiver, "closed_on_the_spot", "closed", note=result, public=True)
            else:
                at = self.later(received, 0.5 + rand() * (4 if rand() < 0.8 else 30), rng)
                suggested, suggested_co = community.routes[category, "initial"]
                routes = 2 if rand() < 0.02 else 1  # a unit sends a few back as not theirs
                for attempt in range(routes):
                    unit, co, override = suggested, suggested_co, ""
                    if attempt or rand() < 0.06:
                        unit = (community.workstation if unit != community.workstation
                                else town.street_units["office"])  # fmt: skip
                        co, override = (), texts.OVERRIDE_REASONS[int(rand() * 2)]
                    if not co and rand() < 0.12:
                        office = town.street_units["office"]
                        co = (office,) if unit != office else (community.workstation,)
                    complexity = self.complexities[int(rand() * 1000)]
                    leader = town.leader if complexity == "leader" else None
                    assigned_on = self.local_date(at)
                    deadline, provisional = self.deadline(complexity, assigned_on)
                    slip = self.number("JB", at)
                    instructions = texts.INSTRUCTIONS[int(rand() * len(texts.INSTRUCTIONS))]
                    w["slip"]((self.next_id("slip"), case_id, slip, _utc(at), town.director, unit,
                               _json([town.unit_names[u] for u in co]), complexity, deadline,
                               provisional, instructions, suggested, override))  # fmt: skip
                    lead_unit, co_units = unit, co
                    # The routed event's data, written out: json.dumps is a tenth of the time.
                    tl.add(at, town.director, "routed", "routed", note=instructions, public=True,
                           data=f'{{"unit": {unit}, "unit_name": "{town.unit_names[unit]}", '
                           f'"co_units": [{", ".join(map(str, co))}], "slip": "{slip}", '
                           f'"deadline": "{deadline}", "provisional": '
                           f'{"true" if provisional else "false"}, '
                           f'"override_reason": "{override}"}}')  # fmt: skip
                    if suggestion is not None and suggestion[5] is None:
                        suggestion[2:6] = [category, unit, town.director, at]
                    if attempt + 1 < routes:
                        at = self.later(at, 2 + rand() * 20, rng)
                        reason = texts.RETURN_REASONS[int(rand() * 2)]
                        tl.add(at, town.unit_staff[unit], "returned", "returned", note=reason,
                               data=f'{{"unit": {unit}}}')  # fmt: skip
                        lead_unit, deadline, provisional, co_units = None, None, False, ()
                        at = self.later(at, 1 + rand() * 20, rng)
                staff = town.unit_staff[lead_unit]
                at = self.later(at, 0.5 + rand() * 30, rng)
                tl.add(at, staff, "accepted", "accepted", public=True,
                       data=f'{{"unit": {lead_unit}, '
                       f'"unit_name": "{town.unit_names[lead_unit]}"}}')  # fmt: skip
                if town.unit_kinds[lead_unit] == "mediation" and dispute:
                    mediation = {"id": self.next_id("mediation"), "committee": lead_unit,
                                 "number": self.number("TJ", at), "opened_at": at,
                                 "opened_by": staff, "rights": (None, None, None),
                                 "outcome": ("", ""), "concluded": (None, None),
                                 "next": ("", "", ""), "mediators": []}  # fmt: skip
                    result, resolved_at, closed_at, transferred_to = self.mediate(
                        rng, mediation, parties, staff, at, tl, description
                    )
                else:
                    result, resolved_at, closed_at, transferred_to, deadline = self.handle(
                        rng, case_id, staff, at, deadline, complexity, tl, results
                    )
            # Closed by the director (or the supervisor), followed up, archived.
            if tl.status == "resolved":
                closed_at = self.later(resolved_at, 4 + rand() * 60, rng)
                closer = town.director if rand() < 0.85 else town.supervisor
                tl.add(closed_at, closer, "closed", "closed", public=True)
            if tl.status == "closed" and rand() < 0.5:
                self.follow_up(rng, case_id, community, closed_at, tl)
            if mediation is not None and "visit" in mediation:
                self.visit(rng, mediation, tl)
            if tl.status in ("closed", "transferred_out"):
                at = self.archive_moment(closed_at)
                if at > now:
                    raise Later
                archived_at = at
                tl.add(at, None, "archived", "archived", before="")
        except Later:
            pass

        # The rows, as the story left them.
        status = tl.status
        ended = status in ("closed", "transferred_out", "archived")
        anonymised = None
        if ended and closed_at + self.retention < now:
            anonymised = _utc(_nightly(closed_at + self.retention))
        for party_id, role, name, phone, id_number in parties:
            if anonymised:
                w["party"]((party_id, case_id, role, "（已匿名）", "", "", anonymised))
            else:
                w["party"]((party_id, case_id, role, name, phone, id_number, None))
        for at, actor, action, before, to, note, data_json, public in tl.events:
            w["event"]((self.next_id("event"), case_id, _utc(at), actor, action, before, to, note,
                        data_json, public))  # fmt: skip
        for unit in co_units:
            w["co_unit"]((self.next_id("co_unit"), case_id, unit))
        if suggestion is not None:
            ranked, unit, chosen_category, chosen_unit, chosen_by, chosen_at = suggestion
            w["suggestion"]((self.next_id("suggestion"), case_id, _utc(received), "rules",
                             ranked, unit, None, chosen_category, chosen_unit, chosen_by,
                             _utc(chosen_at)))  # fmt: skip
        if mediation is not None:
            self.write_mediation(case_id, mediation)
        w["case"]((case_id, self.number("YM", received),
                   self._tracking_hash(f"{self.seed}:{case_id}"), title, description, category,
                   channel, place, address, latitude, longitude, rand() < 0.01, on_the_spot,
                   receiver, _utc(received), status, complexity, leader, lead_unit, assigned_on,
                   deadline, provisional, result, _utc(resolved_at), _utc(closed_at),
                   _utc(archived_at), transferred_to, about_unit, len(tl.events),
                   _utc(received), _utc(tl.events[-1][0])))  # fmt: skip
        if self.search != "none":
            self.index(case_id, title, account, description, result, tl.notes)

    def suggest(self, rand: Any, code: str, community: Any) -> list:
        """The keyword rules' three categories at registration: right first three times in four."""
        ranked = [code] if rand() < 0.75 else []
        while len(ranked) < 3:
            other = self.categories[int(rand() * 1000)]
            if other not in ranked:
                ranked.append(other)
        p = 0.4 + rand() * 0.5
        scores = _json([[c, round(p / (k + 1) ** 1.5, 3)] for k, c in enumerate(ranked)])
        unit = community.routes[self.town.categories[ranked[0]][0], "initial"][0]
        return [scores, unit, None, None, None, None]

    def archive_moment(self, closed: float) -> float:
        """The nightly sweep that archives a case closed at ``closed``."""
        return _nightly(closed + self.archive_days * DAY)

    # --- handling by a unit -----------------------------------------------------------------

    def handle(self, rng, case_id, staff, accepted, deadline, complexity, tl, results):  # noqa: ANN001, ANN201
        """Actions and perhaps an extension, then the result: on time, late, stalled, or out."""
        rand = rng.random
        fate = rand()
        end_of_deadline = _local_moment(deadline, 17 * 3600)
        if fate < 0.02:  # outside the center's powers: transferred out
            at = self.later(accepted, 24 + rand() * 120, rng)
            body = texts.TRANSFER_BODIES[int(rand() * len(texts.TRANSFER_BODIES))]
            note = texts.TRANSFER_NOTES[0].format(body=body)
            tl.add(at, staff, "transferred_out", "transferred_out", note=note, public=True,
                   data=_json({"to": body}))  # fmt: skip
            return "", None, at, body, deadline
        if fate < 0.045:
            done = accepted + DAY * (60 + rand() * 440)  # stalled for months
        elif fate < 0.165:
            done = end_of_deadline + DAY * (1 + rand() * 25)  # late
        else:
            done = accepted + (end_of_deadline - accepted) * (0.15 + rand() * 0.8)
        done = max(self.work(done, rng), accepted + 3600)
        steps = [(accepted + (done - accepted) * rand(), "action")
                 for _ in range(1 + int(rand() * 3))]  # fmt: skip
        if complexity in ("complex", "very_complex") and fate < 0.165 and rand() < 0.5:
            steps.append((max(accepted + 3600, end_of_deadline - 2 * DAY), "extension"))
        for at, step in sorted(steps):
            at = max(self.work(at, rng), tl.events[-1][0])
            if at > self.now:
                raise Later
            if step == "action":
                kind = ACTION_KINDS[int(rand() * 5)]
                notes = texts.ACTION_NOTES[kind]
                to = "in_progress" if tl.status == "accepted" else tl.status
                tl.add(at, staff, "action", to, note=notes[int(rand() * len(notes))],
                       data=f'{{"kind": "{kind}"}}')  # fmt: skip
            else:
                deadline = self.extend(rng, case_id, staff, at, deadline, tl)
        done = max(done, tl.events[-1][0] + 60)
        if done > self.now:
            raise Later
        result = results[int(rand() * len(results))]
        tl.add(done, staff, "resolved", "resolved", note=result, public=True)
        return result, done, None, "", deadline

    def extend(self, rng, case_id, staff, at, deadline, tl):  # noqa: ANN001, ANN201
        """延期: asked two days before the deadline, decided by the director the next day."""
        rand, director = rng.random, self.town.director
        request_id = self.next_id("extension")
        new = deadline + timedelta(days=14)
        reason = texts.EXTENSION_REASONS[int(rand() * len(texts.EXTENSION_REASONS))]
        tl.add(at, staff, "extension_requested", note=reason,
               data=_json({"new_deadline": new.isoformat(), "request": request_id}))  # fmt: skip
        decided = self.work(at + 20 * 3600, rng)
        if decided > self.now:
            self.w["extension"]((request_id, case_id, staff, _utc(at), reason, new, "pending",
                                 None, None, ""))  # fmt: skip
            raise Later
        approve = rand() < 0.8
        if approve:
            tl.add(decided, director, "extension_approved", "extended", public=True,
                   data=_json({"request": request_id,
                               "deadline": [deadline.isoformat(), new.isoformat()]}))  # fmt: skip
            note = ""
        else:
            note = "理由不充分，请按期办结。"
            tl.add(decided, director, "extension_refused", note=note,
                   data=f'{{"request": {request_id}}}')  # fmt: skip
        self.w["extension"]((request_id, case_id, staff, _utc(at), reason, new,
                             "approved" if approve else "refused", director, _utc(decided),
                             note))  # fmt: skip
        return new if approve else deadline

    # --- people's mediation ------------------------------------------------------------------

    def mediate(self, rng, m, parties, staff, at, tl, description):  # noqa: ANN001, ANN201, C901
        """Consent, the notice, mediators, sessions; an agreement, or the court."""
        rand, w, labels = rng.random, self.w, self.labels
        number = m["number"]
        committee = self.town.unit_names[m["committee"]]
        tl.add(at, staff, "mediation_opened", public=True,
               data=_json({"mediation": number, "committee": committee}))  # fmt: skip
        refused = False
        principal = [p for p in parties if p[1] in ("applicant", "respondent")]
        for party_id, role, name, _phone, _id in principal:
            at = self.later(at, rand() * 20, rng)
            given = rand() < (0.95 if role == "applicant" else 0.9)
            decision = "given" if given else "refused"
            refused = refused or not given
            w["consent"](
                (self.next_id("consent"), m["id"], party_id, decision, _utc(at), staff, "")
            )
            label = labels[f"consent.{decision}"]
            tl.add(at, staff, "mediation_consent", note=f"{name}: {label}",
                   pieces=((name, True), (label, True)),
                   data=f'{{"mediation": "{number}", "party": {party_id}, '
                   f'"decision": "{decision}"}}')  # fmt: skip
        if refused or not principal:
            return self.conclude(rng, m, staff, at, tl, "refused" if refused else "failed")
        members = self.town.members.get(m["committee"]) or [(None, "")]
        at = self.later(at, 1 + rand() * 20, rng)
        chair_id, chair = members[0]
        m["rights"] = (at, chair_id, staff)
        tl.add(at, staff, "mediation_rights_notice", note=labels["right_to_sue"], public=True,
               data=_json({"mediation": number, "given_by": chair,
                           "given_at": _utc(at).isoformat()}))  # fmt: skip
        chosen = [mm for mm in members[: 1 + int(rand() * 2)] if mm[0] is not None]
        m["mediators"] = [mm[0] for mm in chosen]
        names = "、".join(mm[1] for mm in chosen)
        tl.add(at + 60, staff, "mediation_mediators", note=names,
               pieces=tuple((mm[1], True) for mm in chosen),
               data=_json({"mediation": number, "members": m["mediators"]}))  # fmt: skip
        attendees = "、".join(p[2] for p in principal)
        for _ in range(1 + int(rand() * 3)):
            starts = self.later(at, 24 * (1 + rand() * 6), rng)
            starts -= (starts + LOCAL) % 600  # on the ten minutes
            recorded = starts + 5400 + rand() * 3600
            if recorded > self.now:
                raise Later
            session_id = self.next_id("session")
            place = texts.SESSION_PLACES[int(rand() * len(texts.SESSION_PLACES))]
            record = texts.SESSION_RECORDS[int(rand() * len(texts.SESSION_RECORDS))]
            w["session"]((session_id, m["id"], _utc(starts), place, attendees, record, staff,
                          _utc(recorded), staff))  # fmt: skip
            for member in m["mediators"]:
                w["session_mediator"]((self.next_id("session_mediator"), session_id, member))
            day, minute = _when(starts).split(" ")
            tl.add(recorded, staff, "mediation_session", note=f"{day} {minute} {place}\n{record}",
                   pieces=((day, True), (minute, True), (place, True), (record, True)),
                   data=f'{{"mediation": "{number}", "session": {session_id}, '
                   f'"starts_at": "{_utc(starts).isoformat()}", '
                   f'"mediators": [{", ".join(map(str, m["mediators"]))}]}}')  # fmt: skip
            at = recorded
        fate = rand()
        if fate >= 0.78:
            if fate >= 0.95:  # a party withdraws first
                party_id, _role, name, _phone, _id = principal[-1]
                at = self.later(at, 24 * rand() * 5, rng)
                w["consent"]((self.next_id("consent"), m["id"], party_id, "withdrawn", _utc(at),
                              staff, ""))  # fmt: skip
                label = labels["consent.withdrawn"]
                tl.add(at, staff, "mediation_consent", note=f"{name}: {label}",
                       pieces=((name, True), (label, True)),
                       data=_json({"mediation": number, "party": party_id,
                                   "decision": "withdrawn"}))  # fmt: skip
            return self.conclude(rng, m, staff, at, tl, "withdrawn" if fate >= 0.95 else "failed")
        partial = fate >= 0.7
        drafted = self.later(at, 1 + rand() * 20, rng)
        agreement = m["agreement"] = {
            "id": self.next_id("agreement"), "partial": partial, "drafted": drafted,
            "number": "", "signed": None, "by": staff,
            "parties": _json([{"name": p[2], "role": p[1]} for p in parties]),
            "amount": f"{(1 + int(rand() * 100)) * 100}.00" if rand() < 0.5 else None,
            "terms": texts.AGREEMENT_TERMS[int(rand() * len(texts.AGREEMENT_TERMS))],
            "summary": texts.DISPUTE_SUMMARIES[int(rand() * len(texts.DISPUTE_SUMMARIES))],
        }  # fmt: skip
        tl.add(drafted, staff, "mediation_agreement_drafted",
               data=_json({"mediation": number, "draft": agreement["id"]}))  # fmt: skip
        signed = self.later(drafted, 1 + rand() * 40, rng)
        agreement["number"] = agreement_number = self.number("XY", signed)
        agreement["signed"] = signed
        m["outcome"] = ("partial" if partial else "agreed", "")
        m["concluded"] = (signed, staff)
        m["next"] = ("court", self.court, "") if partial else ("", "", "")
        due = self.local_date(signed) + timedelta(days=self.follow_up_days)
        m["visit"] = {"id": self.next_id("visit"), "due": due, "done": None}
        tl.add(signed, staff, "mediation_agreement_signed", note=agreement_number, public=True,
               pieces=((agreement_number, False),),
               data=_json({"mediation": number, "agreement": agreement_number,
                           "partial": partial, "amount": agreement["amount"],
                           "follow_up_due": due.isoformat(),
                           "next_path": "court" if partial else ""}))  # fmt: skip
        template = labels["agreement.partial" if partial else "agreement.signed"]
        result = template.replace("%(number)s", agreement_number).replace("%(body)s", self.court)
        tl.add(signed + 1, staff, "resolved", "resolved", note=result, public=True,
               pieces=((result, False),))  # fmt: skip
        return result, signed + 1, None, ""

    def conclude(self, rng, m, staff, at, tl, outcome):  # noqa: ANN001, ANN201
        """Mediation ended without agreement: the parties go to court; the case is transferred."""
        rand, labels = rng.random, self.labels
        at = self.later(at, 4 + rand() * 48, rng)
        reason = texts.CONCLUDE_REASONS[int(rand() * len(texts.CONCLUDE_REASONS))]
        m["outcome"] = (outcome, reason)
        m["concluded"] = (at, staff)
        m["next"] = ("court", self.court, "")
        note = f"{labels[f'outcome.{outcome}']}: {reason}"
        tl.add(at, staff, "mediation_concluded", note=note,
               data=_json({"mediation": m["number"], "outcome": outcome, "next_path": "court",
                           "next_body": self.court}))  # fmt: skip
        told = labels["court_note"].replace("%(body)s", self.court)
        tl.add(at, staff, "transferred_out", "transferred_out", note=told, public=True,
               data=_json({"to": self.court}))  # fmt: skip
        return "", None, at, self.court

    def visit(self, rng, m, tl) -> None:  # noqa: ANN001
        """回访 of a signed agreement, around the day it is due."""
        rand, visit = rng.random, m["visit"]
        at = self.work(_local_moment(visit["due"], MORNING) - DAY * (5 - rand() * 15), rng)
        at = max(at, tl.events[-1][0] + 60)
        if at > self.now:
            raise Later
        performed = "yes" if rand() < 0.88 else "partly"
        visit.update(done=at, by=m["opened_by"], performed=performed)
        label, settled = self.labels[f"performed.{performed}"], self.labels["settled"]
        tl.add(at, m["opened_by"], "mediation_follow_up_visit", note=f"{label}; {settled}",
               data=_json({"mediation": m["number"], "performed": performed, "settled": True,
                           "reopened": False}))  # fmt: skip

    def write_mediation(self, case_id: int, m: dict[str, Any]) -> None:
        w = self.w
        rights_at, rights_by, rights_recorded = m["rights"]
        concluded_at, concluded_by = m["concluded"]
        w["mediation"]((m["id"], case_id, m["committee"], m["number"], _utc(m["opened_at"]),
                        m["opened_by"], _utc(rights_at), rights_by, rights_recorded,
                        *m["outcome"], _utc(concluded_at), concluded_by, *m["next"]))  # fmt: skip
        for member in m["mediators"]:
            w["mediation_mediator"]((self.next_id("mediation_mediator"), m["id"], member))
        agreement = m.get("agreement")
        if agreement is not None:
            signed = agreement["signed"]
            w["agreement"]((agreement["id"], m["id"], agreement["number"],
                            "signed" if signed else "draft", agreement["partial"],
                            agreement["parties"] if signed else "[]", agreement["summary"],
                            agreement["terms"], agreement["amount"], agreement["by"],
                            _utc(agreement["drafted"]), _utc(signed or agreement["drafted"]),
                            _utc(signed), agreement["by"] if signed else None))  # fmt: skip
        visit = m.get("visit")
        if visit is not None:
            done = visit["done"]
            w["visit"]((visit["id"], m["id"], agreement["id"], visit["due"], _utc(done),
                        visit.get("by"), visit.get("performed", ""),
                        True if done else None, ""))  # fmt: skip

    # --- follow-up ------------------------------------------------------------------------------

    def follow_up(self, rng, case_id, community, closed_at, tl) -> None:  # noqa: ANN001
        """回访 of half the closed cases: by the desk on the phone, or the resident online."""
        rand = rng.random
        satisfaction = self.satisfactions[int(rand() * 1000)]
        comment = texts.COMMENTS[int(rand() * len(texts.COMMENTS))]
        if rand() < 0.2:
            at = closed_at + 3600 * (2 + rand() * 100)
            if at > self.now:
                raise Later
            by, reason = None, ""
            tl.add(at, None, "rated_by_resident", public=True,
                   data=f'{{"satisfaction": "{satisfaction}"}}')  # fmt: skip
        else:
            at = self.later(closed_at, 24 + rand() * 100, rng)
            by = community.desk
            reason = texts.CLOSE_REASONS[int(rand() * 2)] if satisfaction == "dissatisfied" else ""
            tl.add(at, by, "followed_up", note=comment,
                   data=_json({"satisfaction": satisfaction, "close_reason": reason}))  # fmt: skip
        self.w["followup"]((self.next_id("followup"), case_id, by, by is None, _utc(at),
                            satisfaction, comment, False, reason))  # fmt: skip

    # --- the search index ---------------------------------------------------------------------

    _quoted: dict[str, str] = {}
    _at = {weight: [f"{n}{weight}" for n in range(16384)] for weight in "AB"}

    def tsvector(self, title: list[str], body: list[str]) -> str:
        """``yimen.search.index._tsvector``, faster: the same text (the check compares them)."""
        positions: dict[str, list[str]] = {}
        n = 0
        for terms, at in ((title, self._at["A"]), (body, self._at["B"])):
            for term in terms:
                n += 1
                kept = positions.get(term)
                if kept is None:
                    positions[term] = [at[n if n < 16383 else 16383]]
                elif len(kept) < 255:
                    kept.append(at[n if n < 16383 else 16383])
        quoted = self._quoted
        parts = []
        for term, at in positions.items():
            head = quoted.get(term)
            if head is None:
                head = "'{}':".format(term.replace("\\", "\\\\").replace("'", "''"))
                if len(quoted) < 100_000:
                    quoted[term] = head
            parts.append(head + ",".join(at))
        return " ".join(parts)

    def index(self, case_id, title, account, description, result, notes) -> None:  # noqa: ANN001
        """The case's search row, as ``yimen.search.index`` would write it."""
        terms = self.terms
        body: list[str] = []
        for piece in account:
            body += terms(piece)
        seen = {description}
        texts_after = [(result, ((result, True),))] if result else []
        for text, pieces in [*texts_after, *notes]:
            if text in seen:
                continue
            seen.add(text)
            for piece, remember in pieces:
                body += terms(piece, remember)
        title_terms = terms(title)
        if self.vendor == "postgresql":
            self.w["search"]((case_id, self.tsvector(title_terms, body)))
        else:
            self.w["search"]((case_id, " ".join(title_terms), " ".join(body)))
