-- The decision log: at most one action per customer per decision date (the winner of the arbitration
-- in fct_action_eligibility). Held-out winners (the per-action control split) stay in the log with
-- is_holdout = true and must not be sent: they are the control group of agg_experiment_results.
-- Incremental so that past decisions are kept for measurement; re-running a day replaces that day. New
-- columns are appended (older decisions keep null in them) rather than failing: the log is not rebuilt.

{{
    config(
        materialized='incremental',
        incremental_strategy=('insert_overwrite' if target.type == 'spark' else 'delete+insert'),
        unique_key=(none if target.type == 'spark' else 'decided_date'),
        partition_by=(['decided_date'] if target.type == 'spark' else none),
        on_schema_change='append_new_columns'
    )
}}

with eligibility as (

    select * from {{ ref('fct_action_eligibility') }}

),

final as (

    select
        {{ cjo.surrogate_key(['customer_id', 'decided_date']) }} as decision_id,
        customer_id,
        action,
        channel,
        score,
        p_response,
        propensity_score,
        uplift_score,
        ranking_basis,
        decided_at,
        decided_date,
        model_version,
        is_holdout
    from eligibility
    where is_selected

)

select * from final
