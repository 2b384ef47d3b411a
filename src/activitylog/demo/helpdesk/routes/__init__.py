"""The helpdesk's JSON endpoints, one module per area."""
