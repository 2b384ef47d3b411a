"""Example applications instrumented with activitylog's capture APIs, shipped with the
package so the demo (``activitylog demo --from-helpdesk``) can run them from any install."""
