"""A reporting window's id: the programme, the window's id in the programme file and the year
(``guizhou-shibaiqianwan-2023.annual-report.2025``). The province opening it and the clock
opening it name the same window, so it is opened once."""


def window_id_of(programme_id: str, window_slug: str, year: int) -> str:
    return f"{programme_id}.{window_slug}.{year}"
