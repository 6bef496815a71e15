-- One row per report: who published it, for which year, in which template and layout, and how it loaded.
-- A URI whose bytes or facts are another report's is not a report but its alias (report_aliases).
-- is_counted: the report the views and coverage count. Of several reports of one publisher and year (rival_reports > 0)
-- the counted one has the best status (loaded, partial, inconsistent, no_tables), then the latest fetched_at (else
-- ingested_at), then the most facts, then the smallest source_uri. Failed reads and not_report documents are never counted.
with reports as (
    select *, status not in ('failed', 'not_report') as is_eligible
    from staging.stg_reports
    where source_uri not in (select alias_uri from report_aliases)
),
ranked as (
    select
        *,
        is_eligible and publisher_key is not null and report_year is not null as has_year,
        row_number() over (
            partition by is_eligible and publisher_key is not null and report_year is not null, publisher_key, report_year
            order by case status when 'loaded' then 1 when 'partial' then 2 when 'inconsistent' then 3 else 4 end,
                coalesce(fetched_at, ingested_at) desc, n_facts desc, source_uri
        ) as year_rank,
        count(*) over (
            partition by is_eligible and publisher_key is not null and report_year is not null, publisher_key, report_year
        ) as year_reports
    from reports
),
alias_counts as (
    select report_id, count(*) as n_aliases from report_aliases group by report_id
)
select
    report_id,
    publisher_name,
    publisher_key,
    publisher_method,
    publisher_confidence,
    report_year,
    year_method,
    title,
    template_version,
    proactive_template,
    applications_template,
    source_uri,
    source_format,
    layout,
    sha256,
    byte_size,
    fetched_at,
    ingested_at,
    extractor_version,
    status,
    status_reason,
    n_tables,
    n_facts,
    n_missing,
    warnings,
    is_eligible and (not has_year or year_rank = 1) as is_counted,
    case when has_year then year_reports - 1 else 0 end as rival_reports,
    coalesce(n_aliases, 0) as n_aliases
from ranked
left join alias_counts using (report_id)
