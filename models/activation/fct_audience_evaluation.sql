-- sqlfluff:max_line_length:170
-- (the surrogate key expands to one long generated line inside a templated loop sqlfluff cannot map)
-- Why each customer is or is not in each audience, today: one row per audience x customer x action the
-- audience serves. An audience is declared once, in models/activation/_activation__models.yml under
-- config.meta.audience: the actions it serves (`serves`) and its extra filters (`where`, named clauses
-- over the ledger's decision columns and dim_customers). A customer is a member when the ledger says the
-- action is eligible (every guardrail, capacity, arbitration and holdout passed) AND every filter holds.
-- aud_* models take their members from here; `cjo why` reads it; they cannot disagree.

{%- set audiences = declared_audiences() if execute else {} %}

with ledger as (

    select * from {{ ref('fct_action_eligibility') }}

),

customers as (

    select * from {{ ref('dim_customers') }}

),

decisions as (

    -- The ledger's decision columns beside the customer-360: what an audience filter may read.
    select
        customers.*,
        ledger.eligibility_id,
        ledger.action,
        ledger.channel,
        ledger.arbitration,
        ledger.decided_at,
        ledger.decided_date,
        ledger.propensity_model,
        ledger.propensity_score,
        ledger.model_version,
        ledger.p_response,
        ledger.response_value,
        ledger.action_cost,
        ledger.score,
        ledger.is_eligible,
        ledger.blocked_reasons
    from ledger
    inner join customers
        on ledger.customer_id = customers.customer_id

),

evaluated as (

    {% for name, audience in audiences.items() | sort %}
    {%- set filters = audience.get('where') or {} %}
    select
        '{{ name }}' as audience,
        customer_id,
        eligibility_id,
        action,
        decided_date,
        is_eligible,
        blocked_reasons,
        concat_ws(
            '|',
            {% for clause, condition in filters.items() | sort %}
            case
                when not coalesce(({{ condition }}), false)
                    then '{{ clause }}'
            end,
            {% endfor %}
            cast(null as {{ dbt.type_string() }})
        ) as failed_filters
    from decisions
    where action in ('{{ audience["serves"] | join("', '") }}')
    union all
    {% endfor %}
    select
        cast(null as {{ dbt.type_string() }}) as audience,
        cast(null as {{ dbt.type_string() }}) as customer_id,
        cast(null as {{ dbt.type_string() }}) as eligibility_id,
        cast(null as {{ dbt.type_string() }}) as action,  -- noqa: RF04
        cast(null as date) as decided_date,
        cast(null as boolean) as is_eligible,
        cast(null as {{ dbt.type_string() }}) as blocked_reasons,
        cast(null as {{ dbt.type_string() }}) as failed_filters
    where 1 = 0

),

final as (

    select
        {{ cjo.surrogate_key(["audience", "eligibility_id"]) }} as evaluation_id,
        audience,
        customer_id,
        action,
        eligibility_id,
        decided_date,
        is_eligible,
        blocked_reasons,
        nullif(failed_filters, '') as failed_filters,
        is_eligible and failed_filters = '' as is_member
    from evaluated

)

select * from final
