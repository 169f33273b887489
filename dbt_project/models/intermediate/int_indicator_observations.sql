{#- The compiler chooses source models from the catalog at run time, so dbt cannot see those refs
    when it parses: each source model an indicator may use is declared here. Adding a source
    application adds one line; adding an indicator on an existing source changes only the catalog. -#}
-- depends_on: {{ ref('stg_catalog__definitions') }}
-- depends_on: {{ ref('int_calendar_days') }}
-- depends_on: {{ source('ingest', 'batches') }}
-- depends_on: {{ ref('stg_acc_booking__appointments') }}
-- depends_on: {{ ref('stg_acc_grc__requests') }}
-- depends_on: {{ ref('stg_acc_ipbx__calls') }}
-- depends_on: {{ ref('stg_acc_queue__tickets') }}
-- depends_on: {{ ref('stg_ach_buyer_profile__bids') }}
-- depends_on: {{ ref('stg_ach_buyer_profile__procedures') }}
-- depends_on: {{ ref('stg_ach_contracts__contracts') }}
-- depends_on: {{ ref('stg_bat_cmms__work_orders') }}
-- depends_on: {{ ref('stg_bat_energy__meter_readings') }}
-- depends_on: {{ ref('stg_bat_safety__inspections') }}
-- depends_on: {{ ref('stg_bat_safety__legionella_samples') }}
-- depends_on: {{ ref('stg_ccas_aid__aid_requests') }}
-- depends_on: {{ ref('stg_ccas_domicil__domiciliation_requests') }}
-- depends_on: {{ ref('stg_ccas_home_services__meal_deliveries') }}
-- depends_on: {{ ref('stg_ccas_vulnerable__register_contacts') }}
-- depends_on: {{ ref('stg_com_web__survey_responses') }}
-- depends_on: {{ ref('stg_cul_ils__loans') }}
-- depends_on: {{ ref('stg_cul_music__enrolments') }}
-- depends_on: {{ ref('stg_cul_ticketing__ticket_sales') }}
-- depends_on: {{ ref('stg_dgq_mail__mails') }}
-- depends_on: {{ ref('stg_dgq_qms__actions') }}
-- depends_on: {{ ref('stg_dgq_qms__audit_findings') }}
-- depends_on: {{ ref('stg_dgq_qms__complaints') }}
-- depends_on: {{ ref('stg_dgq_qms__documents') }}
-- depends_on: {{ ref('stg_dgq_qms__regulatory_requirements') }}
-- depends_on: {{ ref('stg_dgq_qms__review_decisions') }}
-- depends_on: {{ ref('stg_dsi_backup__backup_jobs') }}
-- depends_on: {{ ref('stg_dsi_cmdb__host_patches') }}
-- depends_on: {{ ref('stg_dsi_itsm__tickets') }}
-- depends_on: {{ ref('stg_dsi_monitoring__uptime_checks') }}
-- depends_on: {{ ref('stg_edu_attendance__attendance_slots') }}
-- depends_on: {{ ref('stg_edu_portal__family_invoices') }}
-- depends_on: {{ ref('stg_fin_accounting__budget_lines') }}
-- depends_on: {{ ref('stg_fin_accounting__collection_orders') }}
-- depends_on: {{ ref('stg_fin_accounting__invoices') }}
-- depends_on: {{ ref('stg_fin_accounting__payment_mandates') }}
-- depends_on: {{ ref('stg_jur_council__deliberations') }}
-- depends_on: {{ ref('stg_pm_fines__parking_appeals') }}
-- depends_on: {{ ref('stg_pm_logbook__interventions') }}
-- depends_on: {{ ref('stg_pop_cemetery__concessions') }}
-- depends_on: {{ ref('stg_pop_civil__acts') }}
-- depends_on: {{ ref('stg_pop_civil__copy_requests') }}
-- depends_on: {{ ref('stg_pop_elections__registration_requests') }}
-- depends_on: {{ ref('stg_pop_titles__title_applications') }}
-- depends_on: {{ ref('stg_res_haccp__haccp_checks') }}
-- depends_on: {{ ref('stg_res_orders__meals') }}
-- depends_on: {{ ref('stg_res_production__food_purchases') }}
-- depends_on: {{ ref('stg_rh_absences__absences') }}
-- depends_on: {{ ref('stg_rh_recruitment__recruitments') }}
-- depends_on: {{ ref('stg_rh_safety__accidents') }}
-- depends_on: {{ ref('stg_rh_sirh__agents') }}
-- depends_on: {{ ref('stg_rh_sirh__appraisal_interviews') }}
-- depends_on: {{ ref('stg_rh_sirh__payslips') }}
-- depends_on: {{ ref('stg_rh_training__training_sessions') }}
-- depends_on: {{ ref('stg_spo_facilities__bookings') }}
-- depends_on: {{ ref('stg_step_lims__lab_results') }}
-- depends_on: {{ ref('stg_step_scada__daily_flows') }}
-- depends_on: {{ ref('stg_step_scada__overflows') }}
-- depends_on: {{ ref('stg_step_sludge__sludge_removals') }}
-- depends_on: {{ ref('stg_urb_ads__completion_declarations') }}
-- depends_on: {{ ref('stg_urb_ads__permit_applications') }}
-- depends_on: {{ ref('stg_urb_dia__preemption_notices') }}
-- depends_on: {{ ref('stg_vaj_subsidies__subsidy_applications') }}
-- depends_on: {{ ref('stg_voi_reports__reports') }}

{#- Incremental (macros/indicators/incremental.sql): the pre-hook deletes the observations of
    rows that left staging, the model compiles the rows not yet observed; a changed catalog,
    compiler, staging or calendar (the fingerprint) makes the run a full rebuild. These settings
    are the model's own, next to the SQL they depend on, hence here rather than in
    dbt_project.yml (which sets the materialisation). -#}
{{ config(
    incremental_strategy='delete+insert',
    unique_key=['source_model', '_batch_id', '_row_number'],
    on_schema_change='sync_all_columns',
    pre_hook="{{ indicator_observations_prune() }}",
    post_hook="{{ indicator_observations_record() }}",
) }}

{%- set definitions = indicator_definitions() -%}
{%- set mode = indicator_observations_mode(definitions) %}

with

instances as (

    select * from {{ ref('stg_catalog__instances') }}

),

{{ indicator_pending_ctes(definitions, mode) }}

final as (

    {{ indicator_observations_union(definitions, mode) }}

)

select * from final
