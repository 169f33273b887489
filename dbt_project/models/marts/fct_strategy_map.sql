{#- The strategy map: for each month, perspective and theme, the share of objectives on target,
    coloured with the catalog's thresholds (green, amber, red). Perspective totals have theme_id
    '*' and the whole commune has both '*'. -#}
with

objective_status as (

    select * from {{ ref('fct_objective_status') }}

),

perspectives as (

    select * from {{ ref('stg_catalog__perspectives') }}

),

themes as (

    select * from {{ ref('stg_catalog__themes') }}

),

strategy as (

    select * from {{ ref('stg_catalog__strategy') }}

),

cells as (

    select
        month_start,
        coalesce(perspective_id, '*') as perspective_id,
        coalesce(theme_id, '*') as theme_id,
        count(*) filter (where status <> 'no_data') as objectives_assessed,
        count(*) filter (where status = 'on_target') as objectives_on_target
    from objective_status
    group by grouping sets (
        (month_start, perspective_id, theme_id),
        (month_start, perspective_id),
        (month_start)
    )

),

final as (

    select
        cells.month_start || '|' || cells.perspective_id || '|' || cells.theme_id
            as strategy_cell_id,
        cells.month_start,
        cells.perspective_id,
        coalesce(perspectives.label, 'Ensemble') as perspective_label,
        perspectives.position as perspective_position,
        cells.theme_id,
        coalesce(themes.label, 'Tous les thèmes') as theme_label,
        strategy.mission,
        cells.objectives_assessed,
        cells.objectives_on_target,
        round(cells.objectives_on_target::numeric / nullif(cells.objectives_assessed, 0), 4)
            as share_on_target,
        case
            when cells.objectives_assessed = 0 then 'no_data'
            when
                cells.objectives_on_target::numeric / cells.objectives_assessed
                >= strategy.green_from then 'green'
            when
                cells.objectives_on_target::numeric / cells.objectives_assessed
                >= strategy.amber_from then 'amber'
            else 'red'
        end as colour
    from cells
    cross join strategy
    left join perspectives on cells.perspective_id = perspectives.code
    left join themes on cells.theme_id = themes.code

)

select * from final
