-- One row per report × identity × scope (a column, a row, a block of table 4), and for a cross-year identity × last year's report of the same publisher: the identities (勾稽关系) as the template registry declares them (transforms/registry/*.yaml → identity_terms), on reported cells only.
-- A blank, placeholder, text, missing or inferred term makes the scope not assessable, and reason names each such term with its status (a term of last year's report with @year); a scope whose cells the report's template lacks gives no row. A cross-year identity (a term `@-1`) is the one of the current report's template, its last-year terms read whatever template that report used; only the counted report of each publisher and year takes part, so the join stays linear however many copies a publisher has.
-- incremental: report_id
-- part_reports: 25000
with cross_year as (
    select distinct check_code from checks.identity_terms where year_offset <> 0
),
fact_terms as (  -- each fact as a term twice: of the identities over columns (by its row code), over rows (by its column code)
    select report_id, table_code, template_version, row_code as term_code, col_code as scope_code, true as by_column,
        value, value_status
    from checks.facts
    union all
    select report_id, table_code, template_version, col_code, row_code, false, value, value_status
    from checks.facts
),
same_year as (  -- a report's facts against its own template's terms: the join's build side is the registry's terms
    select f.report_id, null::integer as prev_year, t.*, f.scope_code, f.value, f.value_status
    from fact_terms f
    join checks.identity_terms t
        on t.table_code = f.table_code
        and t.template_version = f.template_version
        and t.term_code = f.term_code
        and (t.for_each = 'column') = f.by_column
    where t.check_code not in (select check_code from cross_year)
),
pairs as (  -- a counted report and last year's counted report of its publisher
    select cur.report_id as cur_id, prev.report_id as prev_id, prev.report_year as prev_year
    from dim_reports cur
    join dim_reports prev
        on prev.publisher_key = cur.publisher_key
        and prev.report_year = cur.report_year - 1
    where cur.publisher_key is not null and cur.is_counted and prev.is_counted
),
versions as (
    select distinct report_id, table_code, template_version from checks.facts
    where report_id in (select cur_id from pairs)
),
across_years as (  -- a report's terms of a cross-year identity, each read in its report or last year's
    select p.cur_id as report_id, p.prev_year, t.*, f.scope_code, f.value, f.value_status
    from pairs p
    join versions v on v.report_id = p.cur_id
    join checks.identity_terms t
        on t.table_code = v.table_code
        and t.template_version = v.template_version
        and t.check_code in (select check_code from cross_year)
    join fact_terms f  -- equalities only: one hash join, no product of every fact with every term of its table
        on f.report_id = case when t.year_offset = 0 then p.cur_id else p.prev_id end
        and f.table_code = t.table_code
        and f.term_code = t.term_code
        and f.by_column = (t.for_each = 'column')
),
applied as (  -- each term with the value it reads
    select *, sign * value as signed_value from (select * from same_year union all select * from across_years)
),
scopes as (  -- the unusable terms listed in the same pass (a plain list of the few such rows, sorted after)
    select
        report_id,
        prev_year,
        check_code,
        for_each,
        scope_code,
        cast(sum(signed_value) filter (where side = 'expected') as bigint) as expected,
        cast(sum(signed_value) filter (where side = 'actual') as bigint) as actual,
        list(term_code || case when year_offset <> 0 then '@' || prev_year else '' end || ' is ' || value_status)
            filter (where value_status <> 'reported') as unusable,
        any_value(severity) as severity
    from applied
    group by report_id, prev_year, check_code, for_each, scope_code
    having count(*) = max(n_terms)
)
select
    report_id,
    check_code,
    for_each || ':' || scope_code || coalesce(' vs ' || prev_year, '') as scope,
    expected,
    actual,
    case
        when unusable is not null then 'not_assessable'
        when expected = actual then 'pass'
        else 'fail'
    end as status,
    severity,
    cast(0 as bigint) as tolerance,
    case
        when unusable is not null then array_to_string(list_sort(unusable), '; ')
        when expected <> actual then 'expected ' || expected || ', found ' || actual || ' (off by ' || (actual - expected) || ')'
    end as reason
from scopes
