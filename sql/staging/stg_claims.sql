-- One row per headline number a report's narrative states (收到申请N件, 办结N件, 复议N件 …).
-- incremental: report_id
select report_id, claim_code, value, snippet
from raw.raw_claims
