-- One row per origin cell of every table the extractors found (mapped or not).
-- incremental: report_id
select report_id, table_index, row_index, col_index, row_span, col_span, text, locator
from raw.raw_cells
