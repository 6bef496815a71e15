-- One row per report × cross-year identity × scope × last year's report of the same publisher: the identities the registry declares with `@-1` terms (x_carry, x_stock, x_items), on reported cells only (warnings: re-organisations break them legitimately).
-- The identity is the one of the current report's template; last year's terms are read whatever template that report used. reason names each term that is not reported (a term of last year's report with @year).
with terms as (
    select * from checks.identity_terms
    where check_code in (select check_code from checks.identity_terms where year_offset <> 0)
),
pairs as (
    select cur.report_id as cur_id, prev.report_id as prev_id, prev.report_year as prev_year
    from dim_reports cur
    join dim_reports prev
        on prev.publisher_key = cur.publisher_key
        and prev.report_year = cur.report_year - 1
    where cur.publisher_key is not null
        and cur.is_counted and prev.is_counted  -- one report per publisher and year: the join stays linear
),
versions as (
    select distinct report_id, table_code, template_version from checks.facts
),
applied as (
    select
        p.cur_id as report_id,
        p.prev_year,
        t.check_code,
        t.for_each,
        case when t.for_each = 'column' then f.col_code else f.row_code end as scope_code,
        t.term_code || case when t.year_offset <> 0 then '@' || p.prev_year else '' end as term,
        t.side,
        t.sign * f.value as signed_value,
        f.value_status,
        t.n_terms,
        t.severity
    from pairs p
    join versions v on v.report_id = p.cur_id
    join terms t on t.table_code = v.table_code and t.template_version = v.template_version
    join checks.facts f
        on f.report_id = case when t.year_offset = 0 then p.cur_id else p.prev_id end
        and f.table_code = t.table_code
        and t.term_code = case when t.for_each = 'column' then f.row_code else f.col_code end
),
scopes as (
    select
        report_id,
        check_code,
        for_each || ':' || scope_code || ' vs ' || prev_year as scope,
        cast(sum(signed_value) filter (where side = 'expected') as bigint) as expected,
        cast(sum(signed_value) filter (where side = 'actual') as bigint) as actual,
        count(*) filter (where value_status <> 'reported') as n_unusable,
        string_agg(term || ' is ' || value_status, '; ' order by term) filter (where value_status <> 'reported')
            as unusable,
        any_value(severity) as severity
    from applied
    group by report_id, prev_year, check_code, for_each, scope_code
    having count(*) = max(n_terms)
)
select
    report_id,
    check_code,
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
from scopes
