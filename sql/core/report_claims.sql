-- One row per headline number a report's narrative states (收到申请N件, 办结N件, 复议N件 …), with the words around it.
-- incremental: report_id
select c.report_id, r.report_year, c.claim_code, cast(c.value as bigint) as value, c.snippet
from staging.stg_claims c
join staging.stg_reports r using (report_id)
