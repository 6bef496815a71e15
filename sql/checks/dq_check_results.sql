-- One row per check evaluated: report × check × scope, with what was expected, what was found and the verdict.
-- Nothing is dropped or corrected: a failing table keeps its published numbers.
select report_id, check_code, scope, expected, actual, status, severity, tolerance from chk_identities
union all
select report_id, check_code, scope, expected, actual, status, severity, tolerance from chk_narrative
