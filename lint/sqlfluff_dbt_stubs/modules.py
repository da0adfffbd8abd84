"""dbt's `modules` global: Python modules that macros may use."""

import datetime  # noqa: F401 - exported to Jinja as modules.datetime
import re  # noqa: F401 - exported to Jinja as modules.re
