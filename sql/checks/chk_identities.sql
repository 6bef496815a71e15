-- One row per report × identity × scope (a column, a row, a block of table 4): the within-report identities (勾稽关系) as the template registry declares them (transforms/registry/*.yaml → identity_terms), on reported cells only.
-- A blank, placeholder, text, missing or inferred term makes the scope not assessable, and reason names each such term with its status; a scope whose cells the report's template lacks gives no row.
with terms as (
    select * from checks.identity_terms
    where check_code not in (select check_code from checks.identity_terms where year_offset <> 0)
),
applied as (
    select
        f.report_id,
        t.check_code,
        t.for_each,
        case when t.for_each = 'column' then f.col_code else f.row_code end as scope_code,
        t.term_code,
        t.side,
        t.sign * f.value as signed_value,
        f.value_status,
        t.n_terms,
        t.severity
    from checks.facts f
    join terms t
        on t.table_code = f.table_code
        and t.template_version = f.template_version
        and t.term_code = case when t.for_each = 'column' then f.row_code else f.col_code end
),
scopes as (
    select
        report_id,
        check_code,
        for_each || ':' || scope_code as scope,
        cast(sum(signed_value) filter (where side = 'expected') as bigint) as expected,
        cast(sum(signed_value) filter (where side = 'actual') as bigint) as actual,
        count(*) filter (where value_status <> 'reported') as n_unusable,
        string_agg(term_code || ' is ' || value_status, '; ' order by term_code)
            filter (where value_status <> 'reported') as unusable,
        any_value(severity) as severity
    from applied
    group by report_id, check_code, for_each, scope_code
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
