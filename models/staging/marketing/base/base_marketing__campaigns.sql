-- Every landed row of marketing.campaigns, typed, with the reason it fails the contract (null when it passes).
-- stg_marketing__campaigns keeps the rows that pass; fct_quarantined_rows keeps the others.

with source as (

    select * from {{ source('marketing', 'campaigns') }}

),

typed as (

    select
        ---------- ids
        campaign_id,
        ---------- strings
        campaign_name,
        lower(trim(channel)) as channel,
        objective,
        ---------- timestamps
        {{ cjo.parse_utc_timestamp('start_at') }} as start_at,
        {{ cjo.parse_utc_timestamp('end_at') }} as end_at,
        ---------- raw text, kept for the quarantine reasons
        campaign_id as raw_campaign_id,
        campaign_name as raw_campaign_name,
        channel as raw_channel,
        objective as raw_objective,
        start_at as raw_start_at,
        end_at as raw_end_at,
        ---------- lineage
        _source_file,
        _source_row,
        _delivery_id,
        _landed_at
    from source

),

final as (

    select
        campaign_id,
        campaign_name,
        channel,
        objective,
        start_at,
        end_at,
        nullif(
            concat_ws(
                '; ',
                case when raw_campaign_id is null then 'campaign_id is missing' end,
                case
                    when
                        channel is not null and channel not in ('email', 'webinar', 'paid_social', 'wholesaler')
                        then 'channel has an unknown value: ' || raw_channel
                end,
                case when raw_start_at is not null and start_at is null then 'start_at is not a valid timestamp: ' || raw_start_at end,
                case when raw_end_at is not null and end_at is null then 'end_at is not a valid timestamp: ' || raw_end_at end
            ),
            ''
        ) as _quarantine_reason,
        case
            when raw_campaign_id is null then 'missing_required'
            when channel is not null and channel not in ('email', 'webinar', 'paid_social', 'wholesaler') then 'unknown_value'
            when raw_start_at is not null and start_at is null then 'invalid_timestamp'
            when raw_end_at is not null and end_at is null then 'invalid_timestamp'
        end as _quarantine_code,
        'campaign_id=' || coalesce(raw_campaign_id, '')
        || '; ' || 'campaign_name=' || coalesce(raw_campaign_name, '')
        || '; ' || 'channel=' || coalesce(raw_channel, '')
        || '; ' || 'objective=' || coalesce(raw_objective, '')
        || '; ' || 'start_at=' || coalesce(raw_start_at, '')
        || '; ' || 'end_at=' || coalesce(raw_end_at, '') as _raw_values,
        _source_file,
        _source_row,
        _delivery_id,
        _landed_at
    from typed

)

select * from final
