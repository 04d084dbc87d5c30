"""Reports: the school's trends by day, session, location, category and pupil group, for what each reader may read.

- `periods`: date ranges in school time (presets from the school's term dates) and the UTC months they touch.
- `aggregate`: every chart's counts from a list of incidents, in one pass, for one reader. Pure: no I/O.
- `service`: reads the incidents in a range (one Query per UTC month on GSI `by-month`, never a Scan) and
  answers the reports page and its CSV export.
- `patterns`: the school's pattern alerts, checked when an incident is added.
"""
