"""The flows moved from ``projects/flows.py`` into their topic packages
(``projects.quotes.flows`` …): viewflow stores each run's flow class and
each task's node as a dotted reference, so the stored references follow."""

from django.db import migrations

FORWARD = """
UPDATE viewflow_process SET flow_class = 'projects/quotes.flows.QuoteApprovalFlow' || substr(flow_class, 33) WHERE flow_class = 'projects/flows.QuoteApprovalFlow' OR flow_class LIKE 'projects/flows.QuoteApprovalFlow.%';
UPDATE viewflow_task SET flow_task = 'projects/quotes.flows.QuoteApprovalFlow' || substr(flow_task, 33) WHERE flow_task = 'projects/flows.QuoteApprovalFlow' OR flow_task LIKE 'projects/flows.QuoteApprovalFlow.%';
UPDATE viewflow_process SET flow_class = 'projects/orders.flows.SalesOrderFlow' || substr(flow_class, 30) WHERE flow_class = 'projects/flows.SalesOrderFlow' OR flow_class LIKE 'projects/flows.SalesOrderFlow.%';
UPDATE viewflow_task SET flow_task = 'projects/orders.flows.SalesOrderFlow' || substr(flow_task, 30) WHERE flow_task = 'projects/flows.SalesOrderFlow' OR flow_task LIKE 'projects/flows.SalesOrderFlow.%';
UPDATE viewflow_process SET flow_class = 'projects/contracts.flows.ContractApprovalFlow' || substr(flow_class, 36) WHERE flow_class = 'projects/flows.ContractApprovalFlow' OR flow_class LIKE 'projects/flows.ContractApprovalFlow.%';
UPDATE viewflow_task SET flow_task = 'projects/contracts.flows.ContractApprovalFlow' || substr(flow_task, 36) WHERE flow_task = 'projects/flows.ContractApprovalFlow' OR flow_task LIKE 'projects/flows.ContractApprovalFlow.%';
"""

BACKWARD = """
UPDATE viewflow_process SET flow_class = 'projects/flows.QuoteApprovalFlow' || substr(flow_class, 40) WHERE flow_class = 'projects/quotes.flows.QuoteApprovalFlow' OR flow_class LIKE 'projects/quotes.flows.QuoteApprovalFlow.%';
UPDATE viewflow_task SET flow_task = 'projects/flows.QuoteApprovalFlow' || substr(flow_task, 40) WHERE flow_task = 'projects/quotes.flows.QuoteApprovalFlow' OR flow_task LIKE 'projects/quotes.flows.QuoteApprovalFlow.%';
UPDATE viewflow_process SET flow_class = 'projects/flows.SalesOrderFlow' || substr(flow_class, 37) WHERE flow_class = 'projects/orders.flows.SalesOrderFlow' OR flow_class LIKE 'projects/orders.flows.SalesOrderFlow.%';
UPDATE viewflow_task SET flow_task = 'projects/flows.SalesOrderFlow' || substr(flow_task, 37) WHERE flow_task = 'projects/orders.flows.SalesOrderFlow' OR flow_task LIKE 'projects/orders.flows.SalesOrderFlow.%';
UPDATE viewflow_process SET flow_class = 'projects/flows.ContractApprovalFlow' || substr(flow_class, 46) WHERE flow_class = 'projects/contracts.flows.ContractApprovalFlow' OR flow_class LIKE 'projects/contracts.flows.ContractApprovalFlow.%';
UPDATE viewflow_task SET flow_task = 'projects/flows.ContractApprovalFlow' || substr(flow_task, 46) WHERE flow_task = 'projects/contracts.flows.ContractApprovalFlow' OR flow_task LIKE 'projects/contracts.flows.ContractApprovalFlow.%';
"""


class Migration(migrations.Migration):
    dependencies = [
        ("projects", "0008_product_history_and_checks"),
        ("viewflow", "0015_task_scheduled"),
    ]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
