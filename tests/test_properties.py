"""Property tests of the domain rules (hypothesis, with a fixed budget and seed for CI).

Each property is a rule the product promises whatever the input: a deadline is always a
working day and counts exactly its working days; a mask never shows the hidden digits; a
spreadsheet cell typed by a resident never runs as a formula; the half-months tile a
month; an incident never skips a stage.
"""

from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from yimen.cases.privacy import mask_id_number, mask_phone
from yimen.emergency import rules as incident_rules
from yimen.emergency.models import Stage
from yimen.exports import FORMULA_TRIGGERS, safe_cell
from yimen.periods import half_month_of, month_of
from yimen.workdays.calendar import WorkCalendar, add_working_days, working_days_between

BUDGET = settings(max_examples=200, deadline=None, derandomize=True,
                  suppress_health_check=[HealthCheck.too_slow])  # fmt: skip

days = st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31))
special = st.dictionaries(days, st.booleans(), max_size=40)


@BUDGET
@given(start=days, n=st.integers(min_value=1, max_value=60), special_days=special)
def test_a_deadline_is_a_working_day_that_counts_exactly_n(start, n, special_days):
    calendar = WorkCalendar(special_days=special_days, published_years=frozenset(range(2020, 2031)))
    deadline = add_working_days(start, n, calendar).date
    assert calendar.is_working_day(deadline)
    assert working_days_between(start, deadline, calendar) == n
    # One day earlier would be one working day short.
    assert working_days_between(start, deadline - timedelta(days=1), calendar) == n - 1


@BUDGET
@given(start=days, end=days, special_days=special)
def test_working_days_between_counts_as_walking_the_days_would(start, end, special_days):
    """The counted span equals the day-by-day walk it replaced, either way round."""
    calendar = WorkCalendar(special_days=special_days)
    low, high = min(start, end), max(start, end)
    walked = sum(
        calendar.is_working_day(low + timedelta(days=n)) for n in range(1, (high - low).days + 1)
    )
    assert working_days_between(low, high, calendar) == walked
    assert working_days_between(high, low, calendar) == -walked


@BUDGET
@given(start=days, n=st.integers(min_value=0, max_value=30))
def test_a_deadline_across_an_unpublished_year_is_provisional(start, n):
    deadline = add_working_days(start, n, WorkCalendar())
    assert deadline.provisional == (n > 0)


@BUDGET
@given(st.text(alphabet="0123456789", min_size=11, max_size=11))
def test_a_masked_phone_hides_the_middle_four(phone):
    masked = mask_phone(phone)
    assert masked[:3] == phone[:3] and masked[-4:] == phone[-4:] and "****" in masked
    assert phone[3:7] not in masked[3:7]


@BUDGET
@given(st.text(alphabet="0123456789X", min_size=15, max_size=18))
def test_a_masked_id_number_never_shows_the_birth_date(id_number):
    masked = mask_id_number(id_number)
    assert len(masked) == len(id_number)
    assert set(masked[3:-4]) == {"*"}


@BUDGET
@given(st.text())
def test_a_cell_typed_by_a_resident_never_runs_as_a_formula(text):
    assert not str(safe_cell(text)).startswith(FORMULA_TRIGGERS)
    assert str(safe_cell(text)).lstrip("'") == text or safe_cell(text) == text


@BUDGET
@given(days)
def test_the_two_half_months_tile_the_month(day):
    month = month_of(day)
    first, second = half_month_of(month.start), half_month_of(month.end)
    assert first.start == month.start and second.end == month.end
    assert second.start - first.end == timedelta(days=1)
    assert half_month_of(day) in (first, second)


@BUDGET
@given(st.lists(st.sampled_from(Stage.values), min_size=1, max_size=8))
def test_an_incident_moves_only_forward_without_skipping(moves):
    order = list(Stage.values)
    stage = Stage.RECEIVED
    for target in moves:
        if incident_rules.may_move(stage, target):
            skipped = order.index(target) - order.index(stage)
            # Only the plan's activation may be skipped (graded → response).
            assert skipped == 1 or (stage, target) == (Stage.GRADED, Stage.RESPONSE)
            stage = target
