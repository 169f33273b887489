with

objectives as (

    select * from {{ ref('stg_catalog__objectives') }}

),

perspectives as (

    select * from {{ ref('stg_catalog__perspectives') }}

),

themes as (

    select * from {{ ref('stg_catalog__themes') }}

),

final as (

    select
        objectives.code as objective_id,
        objectives.label as objective_label,
        objectives.owner as service_id,
        objectives.perspective as perspective_id,
        perspectives.label as perspective_label,
        perspectives.position as perspective_position,
        objectives.theme as theme_id,
        themes.label as theme_label
    from objectives
    inner join perspectives on objectives.perspective = perspectives.code
    inner join themes on objectives.theme = themes.code

)

select * from final
