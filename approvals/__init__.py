"""The approvals engine (WF-1, WF-2): rules, the decide service, the base
approval flow and the inbox, shared by every document that needs approval."""
