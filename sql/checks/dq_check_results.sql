-- One row per check evaluated: report × check × scope, with what was expected, what was found and the verdict.
-- Nothing is dropped or corrected: a failing table keeps its published numbers.
select report_id, check_code, scope, expected, actual, status, severity, tolerance from chk_app_balance
union all
select report_id, check_code, scope, expected, actual, status, severity, tolerance from chk_app_results_sum
union all
select report_id, check_code, scope, expected, actual, status, severity, tolerance from chk_app_applicant_sum
union all
select report_id, check_code, scope, expected, actual, status, severity, tolerance from chk_rl_sum
union all
select report_id, check_code, scope, expected, actual, status, severity, tolerance from chk_x_carry
union all
select report_id, check_code, scope, expected, actual, status, severity, tolerance from chk_x_stock
union all
select report_id, check_code, scope, expected, actual, status, severity, tolerance from chk_x_items
union all
select report_id, check_code, scope, expected, actual, status, severity, tolerance from chk_narrative
