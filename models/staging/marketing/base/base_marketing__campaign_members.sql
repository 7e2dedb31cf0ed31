-- Every landed row of marketing.campaign_members, typed, with the reason it fails the contract (null when it passes).
-- stg_marketing__campaign_members keeps the rows that pass; fct_quarantined_rows keeps the others.

with source as (

    select * from {{ source('marketing', 'campaign_members') }}

),

typed as (

    select
        ---------- ids
        member_id,
        campaign_id,
        advisor_id,
        ---------- strings
        {{ cjo.normalize_email('email') }} as email,
        lower(trim(assignment)) as assignment,  -- noqa: RF04
        ---------- timestamps
        {{ cjo.parse_utc_timestamp('assigned_at') }} as assigned_at,
        ---------- raw text, kept for the quarantine reasons
        member_id as raw_member_id,
        campaign_id as raw_campaign_id,
        advisor_id as raw_advisor_id,
        email as raw_email,
        assignment as raw_assignment,
        assigned_at as raw_assigned_at,
        ---------- lineage
        _source_file,
        _source_row,
        _delivery_id,
        _landed_at
    from source

),

final as (

    select
        member_id,
        campaign_id,
        advisor_id,
        email,
        assignment,
        assigned_at,
        nullif(
            concat_ws(
                '; ',
                case when raw_member_id is null then 'member_id is missing' end,
                case when raw_campaign_id is null then 'campaign_id is missing' end,
                case when raw_assignment is null then 'assignment is missing' end,
                case
                    when
                        assignment is not null and assignment not in ('treatment', 'control')
                        then 'assignment has an unknown value: ' || raw_assignment
                end,
                case when raw_assigned_at is null then 'assigned_at is missing' end,
                case
                    when
                        raw_assigned_at is not null and assigned_at is null
                        then 'assigned_at is not a valid timestamp: ' || raw_assigned_at
                end
            ),
            ''
        ) as _quarantine_reason,
        case
            when raw_member_id is null then 'missing_required'
            when raw_campaign_id is null then 'missing_required'
            when raw_assignment is null then 'missing_required'
            when assignment is not null and assignment not in ('treatment', 'control') then 'unknown_value'
            when raw_assigned_at is null then 'missing_required'
            when raw_assigned_at is not null and assigned_at is null then 'invalid_timestamp'
        end as _quarantine_code,
        'member_id=' || coalesce(raw_member_id, '')
        || '; ' || 'campaign_id=' || coalesce(raw_campaign_id, '')
        || '; ' || 'advisor_id=' || coalesce(raw_advisor_id, '')
        || '; ' || 'email=' || coalesce(raw_email, '')
        || '; ' || 'assignment=' || coalesce(raw_assignment, '')
        || '; ' || 'assigned_at=' || coalesce(raw_assigned_at, '') as _raw_values,
        _source_file,
        _source_row,
        _delivery_id,
        _landed_at
    from typed

)

select * from final
