{#
    Return the surrogate key of an identity, what a web visitor (cookie) resolves to:
    identity_type 'lead' with the lead_id, 'email' with the email, or 'anonymous' with the
    visitor id. Web sessions and lead touchpoints both use it, so a lead's own touchpoints
    and its stitched sessions share one identity_key. This is not dim_person's person_key,
    which merges leads.
#}
{% macro identity_key(identity_type_expression, natural_id_expression) -%}
    {{ surrogate_key([identity_type_expression, natural_id_expression]) }}
{%- endmacro %}
