-- One row per check evaluated: report × check × scope, with what was expected, what was found and the verdict.
-- Nothing is dropped or corrected: a failing table keeps its published numbers. reason says why a check is not pass.
-- schema: main
-- incremental: report_id
select report_id, check_code, scope, expected, actual, status, severity, tolerance, reason from checks.chk_identities
union all
select report_id, check_code, scope, expected, actual, status, severity, tolerance, reason from checks.chk_narrative
