-- One row per report × identity × scope (a column, a row, a block of table 4): the within-report identities (勾稽关系) as the template registry declares them (transforms/registry/*.yaml → identity_terms), on reported cells only.
-- A blank, placeholder, missing or inferred term makes the scope not assessable; a scope whose cells the report's template lacks gives no row.
with terms as (
    select * from identity_terms
    where check_code not in (select check_code from identity_terms where year_offset <> 0)
),
applied as (
    select
        f.report_id,
        t.check_code,
        t.for_each,
        case when t.for_each = 'column' then f.col_code else f.row_code end as scope_code,
        t.side,
        t.sign * f.value as signed_value,
        f.value_status,
        t.n_terms,
        t.severity
    from facts f
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
        sum(signed_value) filter (where side = 'expected') as expected,
        sum(signed_value) filter (where side = 'actual') as actual,
        count(*) filter (where value_status <> 'reported') as n_unusable,
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
        when abs(expected - actual) <= 0 then 'pass'
        else 'fail'
    end as status,
    severity,
    0.0 as tolerance
from scopes
