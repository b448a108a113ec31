"""Every kind of error the four APIs answer with, in one register (``docs/problems.md``).

A raise site names one of these; a new kind of refusal gets a new entry, never a free-text
title, so clients can rely on ``code`` and ``type``. The modules only group the entries.
"""

from shared.http.catalogue.awards import *  # noqa: F403
from shared.http.catalogue.calendars import *  # noqa: F403
from shared.http.catalogue.common import *  # noqa: F403
from shared.http.catalogue.notifications import *  # noqa: F403
from shared.http.catalogue.registry import *  # noqa: F403
from shared.http.catalogue.submissions import *  # noqa: F403
from shared.http.problem_types import CATALOGUE as CATALOGUE
