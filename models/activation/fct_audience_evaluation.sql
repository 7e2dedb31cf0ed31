-- Why each customer is or is not in each audience, today: one row per audience x customer x action the
-- audience serves. An audience is declared once, in models/activation/_activation__models.yml under
-- config.meta.audience: the actions it serves (`serves`) and its extra filters (`where`, named clauses
-- over the ledger's decision columns and dim_customers). A customer is a member when the ledger says the
-- action is eligible (every guardrail, capacity, arbitration and holdout passed) AND every filter holds.
-- aud_* models take their members from here; `cjo why` reads it; they cannot disagree.

{%- set audiences = declared_audiences() if execute else {} %}
{%- set decision_columns = ['eligibility_id', 'action', 'channel', 'arbitration', 'decided_at', 'decided_date',
                            'propensity_model', 'propensity_score', 'model_version', 'p_response',
                            'response_value', 'action_cost', 'score', 'is_eligible', 'blocked_reasons'] %}

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
        {%- for column in decision_columns %}
        ledger.{{ column }}{{ ',' if not loop.last }}
        {%- endfor %}
    from ledger
    inner join customers
        on ledger.customer_id = customers.customer_id

),

evaluated as (

    {%- for name, audience in audiences.items() | sort %}
    {%- set filters = (audience.get('where') or {}) %}
    select
        '{{ name }}' as audience,
        customer_id,
        eligibility_id,
        action,
        decided_date,
        is_eligible,
        blocked_reasons,
        {%- if filters %}
        concat_ws(
            '|',
            {%- for clause, condition in filters.items() | sort %}
            case when not coalesce(({{ condition }}), false) then '{{ clause }}' end{{ ',' if not loop.last }}
            {%- endfor %}
        ) as failed_filters
        {%- else %}
        '' as failed_filters
        {%- endif %}
    from decisions
    where action in ('{{ audience["serves"] | join("', '") }}')
    union all
    {%- endfor %}
    select
        cast(null as {{ dbt.type_string() }}) as audience,
        cast(null as {{ dbt.type_string() }}) as customer_id,
        cast(null as {{ dbt.type_string() }}) as eligibility_id,
        cast(null as {{ dbt.type_string() }}) as action,
        cast(null as date) as decided_date,
        cast(null as boolean) as is_eligible,
        cast(null as {{ dbt.type_string() }}) as blocked_reasons,
        cast(null as {{ dbt.type_string() }}) as failed_filters
    where 1 = 0

),

final as (

    select
        {{ cjo.surrogate_key(['audience', 'eligibility_id']) }} as evaluation_id,
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
