"""Human-written dates -> ISO "YYYY-MM-DD", years 1900-2099: the data behind jrnn's demo model.

Conventions (numeric dates are ambiguous otherwise):
- a four-digit year is always written out (two-digit years are ambiguous across 1900-2099 and never generated);
- numbers with the year first are year, month, day in every separator: "2026-11-27", "2026/11/27", "2026.11.27";
- numbers with the year last: slashes are US month/day/year ("11/27/2026"), dots are day.month.year ("27.11.2026");
  numeric dashes only appear in year-first (ISO) order; "27-Nov-2026" names its month, so it is unambiguous;
- weekdays, when written, are the true weekday of the date.

    from dates import FORMATS, render, random_date
    text = render("wd_month_d_y", date(2026, 11, 27), random.Random(1))   # "Friday, November 27, 2026"
"""

import datetime
import random

MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December"]
MONTHS_ABBR = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
WEEKDAYS_ABBR = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
WEEKDAYS_KO = ["월", "화", "수", "목", "금", "토", "일"]

FIRST = datetime.date(1900, 1, 1)
LAST = datetime.date(2099, 12, 31)
SPAN = (LAST - FIRST).days + 1


def random_date(rng):
    return FIRST + datetime.timedelta(days=rng.randrange(SPAN))


def iso(d):
    return d.isoformat()


def ordinal(n):
    if 10 <= n % 100 <= 20:
        return f"{n}th"
    return f"{n}{ {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th') }".replace(" ", "")


# ---- pieces, each with its own random variants ---------------------------------------------------------------

def _num(n, rng):
    """day or month number, with or without a leading zero"""
    return f"{n:02d}" if rng.random() < 0.4 else str(n)


def _month(d, rng):
    return MONTHS[d.month - 1]


def _mon(d, rng):
    """abbreviated month, sometimes with a dot ("Nov."), sometimes "Sept" """
    m = MONTHS_ABBR[d.month - 1]
    if m == "Sep" and rng.random() < 0.25:
        m = "Sept"
    if m != "May" and rng.random() < 0.2:
        m += "."
    return m


def _month_any(d, rng):
    return _month(d, rng) if rng.random() < 0.5 else _mon(d, rng)


def _weekday(d, rng):
    return WEEKDAYS[d.weekday()] if rng.random() < 0.5 else WEEKDAYS_ABBR[d.weekday()]


def _comma(rng, p=0.5):
    return "," if rng.random() < p else ""


# ---- the formats -------------------------------------------------------------------------------------------------

def f_d_month_y(d, rng):           # 27 November 2026
    return f"{_num(d.day, rng)} {_month(d, rng)}{_comma(rng, 0.2)} {d.year}"


def f_month_d_y(d, rng):           # March 3, 1999 / NOVEMBER 27 2026
    return f"{_month(d, rng)} {_num(d.day, rng)}{_comma(rng, 0.6)} {d.year}"


def f_wd_month_d_y(d, rng):        # Friday, November 27, 2026
    return f"{_weekday(d, rng)}{_comma(rng, 0.8)} {_month_any(d, rng)} {_num(d.day, rng)}{_comma(rng, 0.7)} {d.year}"


def f_wd_d_month_y(d, rng):        # Fri 27 Nov 2026 / Friday, 27 November 2026
    return f"{_weekday(d, rng)}{_comma(rng, 0.4)} {_num(d.day, rng)} {_month_any(d, rng)}{_comma(rng, 0.1)} {d.year}"


def f_mon_d_y(d, rng):             # Nov 27 2026 / Nov. 27, 2026
    return f"{_mon(d, rng)} {_num(d.day, rng)}{_comma(rng, 0.5)} {d.year}"


def f_d_mon_y(d, rng):             # 1 Jan 1900
    return f"{_num(d.day, rng)} {_mon(d, rng)} {d.year}"


def f_d_mon_y_dash(d, rng):        # 27-Nov-2026
    return f"{_num(d.day, rng)}-{MONTHS_ABBR[d.month - 1] if rng.random() < 0.8 else _month(d, rng)}-{d.year}"


def f_ordinal_of(d, rng):          # 27th of November, 2026 / the 3rd of March 1999
    the = "the " if rng.random() < 0.3 else ""
    return f"{the}{ordinal(d.day)} of {_month_any(d, rng)}{_comma(rng, 0.5)} {d.year}"


def f_month_ordinal(d, rng):       # November 27th, 2026
    return f"{_month_any(d, rng)} {ordinal(d.day)}{_comma(rng, 0.6)} {d.year}"


def f_us_slash(d, rng):            # 11/27/2026 (US: month/day/year)
    return f"{_num(d.month, rng)}/{_num(d.day, rng)}/{d.year}"


def f_eu_dot(d, rng):              # 27.11.2026 (day.month.year)
    return f"{_num(d.day, rng)}.{_num(d.month, rng)}.{d.year}"


def f_iso(d, rng):                 # 2026-11-27 (mostly zero-padded, as ISO writes it)
    if rng.random() < 0.75:
        return d.isoformat()
    return f"{d.year}-{_num(d.month, rng)}-{_num(d.day, rng)}"


def f_ymd_slash(d, rng):           # 2026/11/27
    return f"{d.year}/{_num(d.month, rng)}/{_num(d.day, rng)}"


def f_ymd_dot(d, rng):             # 2026.11.27 / 2026. 11. 27.
    if rng.random() < 0.4:
        return f"{d.year}. {_num(d.month, rng)}. {_num(d.day, rng)}."
    return f"{d.year}.{_num(d.month, rng)}.{_num(d.day, rng)}"


def f_korean(d, rng):              # 2026년 11월 27일 / 2026년11월27일 (금) / 2026년 11월 27일 금요일
    sep = " " if rng.random() < 0.75 else ""
    text = f"{d.year}년{sep}{_num(d.month, rng)}월{sep}{_num(d.day, rng)}일"
    r = rng.random()
    if r < 0.2:
        text += f" ({WEEKDAYS_KO[d.weekday()]})"
    elif r < 0.4:
        text += f" {WEEKDAYS_KO[d.weekday()]}요일"
    return text


FORMATS = {
    "d_month_y": f_d_month_y,
    "month_d_y": f_month_d_y,
    "wd_month_d_y": f_wd_month_d_y,
    "wd_d_month_y": f_wd_d_month_y,
    "mon_d_y": f_mon_d_y,
    "d_mon_y": f_d_mon_y,
    "d_mon_y_dash": f_d_mon_y_dash,
    "ordinal_of": f_ordinal_of,
    "month_ordinal": f_month_ordinal,
    "us_slash": f_us_slash,
    "eu_dot": f_eu_dot,
    "iso": f_iso,
    "ymd_slash": f_ymd_slash,
    "ymd_dot": f_ymd_dot,
    "korean": f_korean,
}


def _case(text, rng):
    """as written (60%), lower case (20%), upper case (20%)"""
    r = rng.random()
    if r < 0.2:
        return text.lower()
    if r < 0.4:
        return text.upper()
    return text


def _spaces(text, rng):
    """now and then a doubled space inside, or a space before or after"""
    if rng.random() < 0.12 and " " in text:
        spots = [i for i, ch in enumerate(text) if ch == " "]
        i = rng.choice(spots)
        text = text[:i] + " " + text[i:]
    r = rng.random()
    if r < 0.03:
        text = " " + text
    elif r < 0.06:
        text = text + " "
    return text


def render(fmt, d, rng):
    text = FORMATS[fmt](d, rng)
    if any(ch.isalpha() and ch.isascii() for ch in text):
        text = _case(text, rng)
    return _spaces(text, rng)


def sample(rng, fmt=None):
    """-> (text, iso, format name); the format uniform over FORMATS unless given."""
    fmt = fmt or rng.choice(list(FORMATS))
    d = random_date(rng)
    return render(fmt, d, rng), iso(d), fmt


def alphabet():
    """Every character the generator can write (the demo model's source vocabulary)."""
    chars = set("0123456789 ,.-/()")
    words = MONTHS + MONTHS_ABBR + ["Sept"] + WEEKDAYS + WEEKDAYS_ABBR + ["st", "nd", "rd", "th", "of", "the"]
    for w in words:
        chars.update(w)
        chars.update(w.lower())
        chars.update(w.upper())
    chars.update("년월일요" + "".join(WEEKDAYS_KO))
    return sorted(chars)


if __name__ == "__main__":
    rng = random.Random(7)
    for name in FORMATS:
        for _ in range(3):
            d = random_date(rng)
            print(f"{name:15s} {render(name, d, rng)!r:45s} {iso(d)}")
