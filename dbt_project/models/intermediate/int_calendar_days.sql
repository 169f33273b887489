{#- French working-day calendar (métropole). Public holidays are computed, not typed in per year:
    fixed dates plus Easter Monday, Ascension Thursday and Whit Monday from the Gregorian Easter
    (anonymous Meeus/Jones/Butcher algorithm). `working_day_index` counts working days since the
    start, so a delay in working days is the difference of two indexes. -#}
with

years as (

    select
        generate_series(
            {{ var('calendar_first_year', 2015) }}, {{ var('calendar_last_year', 2035) }}
        ) as calendar_year

),

easter_terms as (

    select
        calendar_year,
        calendar_year % 19 as a,
        calendar_year / 100 as b,
        calendar_year % 100 as c
    from years

),

easter_steps as (

    select
        calendar_year,
        a,
        c,
        b % 4 as e,
        (19 * a + b - b / 4 - (b - (b + 8) / 25 + 1) / 3 + 15) % 30 as h
    from easter_terms

),

easter_sundays as (

    select
        calendar_year,
        h,
        a,
        (32 + 2 * e + 2 * (c / 4) - h - c % 4) % 7 as l
    from easter_steps

),

easter as (

    select
        calendar_year,
        make_date(
            calendar_year,
            (h + l - 7 * ((a + 11 * h + 22 * l) / 451) + 114) / 31,
            (h + l - 7 * ((a + 11 * h + 22 * l) / 451) + 114) % 31 + 1
        ) as easter_sunday
    from easter_sundays

),

public_holidays as (

    select
        make_date(calendar_year, 1, 1) as holiday,
        'Jour de l''an' as holiday_name
    from years
    union all
    select
        make_date(calendar_year, 5, 1) as holiday,
        'Fête du Travail' as holiday_name
    from years
    union all
    select
        make_date(calendar_year, 5, 8) as holiday,
        'Victoire 1945' as holiday_name
    from years
    union all
    select
        make_date(calendar_year, 7, 14) as holiday,
        'Fête nationale' as holiday_name
    from years
    union all
    select
        make_date(calendar_year, 8, 15) as holiday,
        'Assomption' as holiday_name
    from years
    union all
    select
        make_date(calendar_year, 11, 1) as holiday,
        'Toussaint' as holiday_name
    from years
    union all
    select
        make_date(calendar_year, 11, 11) as holiday,
        'Armistice 1918' as holiday_name
    from years
    union all
    select
        make_date(calendar_year, 12, 25) as holiday,
        'Noël' as holiday_name
    from years
    union all
    select
        easter_sunday + 1 as holiday,
        'Lundi de Pâques' as holiday_name
    from easter
    union all
    select
        easter_sunday + 39 as holiday,
        'Ascension' as holiday_name
    from easter
    union all
    select
        easter_sunday + 50 as holiday,
        'Lundi de Pentecôte' as holiday_name
    from easter

),

days as (

    select calendar_day::date as calendar_day
    from generate_series(
        make_date({{ var('calendar_first_year', 2015) }}, 1, 1),
        make_date({{ var('calendar_last_year', 2035) }}, 12, 31),
        interval '1 day'
    ) as calendar_day

),

flagged as (

    select
        days.calendar_day,
        extract(isodow from days.calendar_day)::int as iso_weekday,
        public_holidays.holiday_name,
        public_holidays.holiday is not null as is_public_holiday,
        extract(isodow from days.calendar_day) <= 5
        and public_holidays.holiday is null as is_working_day
    from days
    left join public_holidays on days.calendar_day = public_holidays.holiday

),

final as (

    select
        *,
        sum(case when is_working_day then 1 else 0 end)
            over (order by calendar_day) as working_day_index
    from flagged

)

select * from final
