"""Load every year the chinesecalendar package has, so a fresh database counts correctly."""

from django.db import migrations

from yimen.workdays.sources import package_special_days, package_years


def seed(apps, schema_editor):
    CalendarYear = apps.get_model("workdays", "CalendarYear")
    SpecialDay = apps.get_model("workdays", "SpecialDay")
    for year in package_years():
        if CalendarYear.objects.filter(year=year).exists():
            continue
        SpecialDay.objects.bulk_create(
            SpecialDay(date=d, is_working=w, name=n, source="chinesecalendar")
            for d, w, n in package_special_days(year)
        )
        CalendarYear.objects.create(year=year, source="chinesecalendar")


class Migration(migrations.Migration):
    dependencies = [("workdays", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
