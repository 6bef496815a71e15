-- One row per report × identity × scope (a column, a row, a block of table 4), and for a cross-year identity × last year's report of the same publisher: the identities (勾稽关系) as the template registry declares them (transforms/registry/*.yaml → identity_terms), on reported cells only.
-- A blank, placeholder, text, missing or inferred term makes the scope not assessable, and reason names each such term with its status (a term of last year's report with @year); a scope whose cells the report's template lacks gives no row. A cross-year identity (a term `@-1`) is the one of the current report's template, its last-year terms read whatever template that report used; only the counted report of each publisher and year takes part, so the join stays linear however many copies a publisher has.
-- incremental: report_id
-- part_reports: 25000
with cross_year as (
    select distinct check_code from checks.identity_terms where year_offset <> 0
),
pairs as (
    select report_id as cur_id, report_id as prev_id, null::integer as prev_year, false as is_cross
    from dim_reports
    union all
    select cur.report_id, prev.report_id, prev.report_year, true
    from dim_reports cur
    join dim_reports prev
        on prev.publisher_key = cur.publisher_key
        and prev.report_year = cur.report_year - 1
    where cur.publisher_key is not null and cur.is_counted and prev.is_counted
),
versions as (
    select distinct report_id, table_code, template_version from checks.facts
),
fact_terms as (  -- each fact as a term twice: of the identities over columns (by its row code), over rows (by its column code)
    select report_id, table_code, row_code as term_code, col_code as scope_code, true as by_column, value, value_status
    from checks.facts
    union all
    select report_id, table_code, col_code, row_code, false, value, value_status
    from checks.facts
),
applied as (
    select
        p.cur_id as report_id,
        p.prev_year,
        t.check_code,
        t.for_each,
        f.scope_code,
        t.term_code || case when t.year_offset <> 0 then '@' || p.prev_year else '' end as term,
        t.side,
        t.sign * f.value as signed_value,
        f.value_status,
        t.n_terms,
        t.severity
    from pairs p
    join versions v on v.report_id = p.cur_id
    join checks.identity_terms t
        on t.table_code = v.table_code
        and t.template_version = v.template_version
        and (t.check_code in (select check_code from cross_year)) = p.is_cross
    join fact_terms f  -- equalities only: one hash join, no product of every fact with every term of its table
        on f.report_id = case when t.year_offset = 0 then p.cur_id else p.prev_id end
        and f.table_code = t.table_code
        and f.term_code = t.term_code
        and f.by_column = (t.for_each = 'column')
),
scopes as (
    select
        report_id,
        prev_year,
        check_code,
        for_each,
        scope_code,
        for_each || ':' || scope_code || coalesce(' vs ' || prev_year, '') as scope,
        cast(sum(signed_value) filter (where side = 'expected') as bigint) as expected,
        cast(sum(signed_value) filter (where side = 'actual') as bigint) as actual,
        count(*) filter (where value_status <> 'reported') as n_unusable,
        any_value(severity) as severity
    from applied
    group by report_id, prev_year, check_code, for_each, scope_code
    having count(*) = max(n_terms)
),
unusable_terms as (  -- apart, over the unusable terms only: an ordered aggregate holds all its input in memory
    select
        report_id,
        prev_year,
        check_code,
        for_each,
        scope_code,
        string_agg(term || ' is ' || value_status, '; ' order by term) as unusable
    from applied
    where value_status <> 'reported'
    group by report_id, prev_year, check_code, for_each, scope_code
)
select
    s.report_id,
    s.check_code,
    scope,
    expected,
    actual,
    case
        when n_unusable > 0 then 'not_assessable'
        when expected = actual then 'pass'
        else 'fail'
    end as status,
    severity,
    cast(0 as bigint) as tolerance,
    case
        when n_unusable > 0 then unusable
        when expected <> actual then 'expected ' || expected || ', found ' || actual || ' (off by ' || (actual - expected) || ')'
    end as reason
from scopes s
left join unusable_terms u
    on u.report_id = s.report_id and u.check_code = s.check_code and u.for_each = s.for_each
    and u.scope_code = s.scope_code and u.prev_year is not distinct from s.prev_year
