-- One row per headline number a report's narrative states (收到申请N件, 办结N件, 复议N件 …), with the words around it.
select c.report_id, r.report_year, c.claim_code, c.value, c.snippet
from stg_claims c
join stg_reports r using (report_id)
