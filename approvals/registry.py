"""Which workflow runs for which document model.

A document's flow module registers its flow here when it is imported (each
app imports its flows in ``AppConfig.ready``); services start runs and
selectors filter tasks through ``flow_for`` instead of importing the flow
module, which imports their views and so them."""

from __future__ import annotations

from django.db import models

_flows: dict[type[models.Model], type] = {}


def register_flow(model: type[models.Model], flow_class: type) -> type:
    known = _flows.get(model)
    if known is not None and known is not flow_class:
        raise ValueError(f"{model.__name__} already has the flow {known.__name__}.")
    _flows[model] = flow_class
    return flow_class


def flow_for(model: type[models.Model] | models.Model) -> type:
    model = model if isinstance(model, type) else type(model)
    model = model._meta.concrete_model
    try:
        return _flows[model]
    except KeyError:
        raise LookupError(f"No flow is registered for {model.__name__}.") from None
