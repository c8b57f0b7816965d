"""The product catalogue pages (QUO-1): list with search and filters, a
product's page with its history, create, edit, archive, import and export.

The catalogue is the same for everyone (it is not scoped data): everyone who
quotes sees it; changing it takes the product permissions (the admin role).
Writes go through ``projects.products``.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import TemplateView

from crm.history import history_rows
from crm.paging import page_number
from crm.spreadsheets import money_cell, neutralise
from customers.imports import ImportFileError
from projects.catalogue import services as products
from projects.catalogue.forms import (
    ProductFilterForm,
    ProductForm,
    ProductImportForm,
)
from projects.models import Product

PAGE_SIZE = 50
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

PRODUCT_CREATED = _("Product %(product)s created.")
PRODUCT_SAVED = _("Product %(product)s saved.")
PRODUCT_ARCHIVED = _("Product %(product)s archived: it is no longer offered in quotes and orders.")
PRODUCT_RESTORED = _("Product %(product)s is on sale again.")
IMPORTED = _("Import finished: %(created)s products created, %(updated)s changed.")


def _require(request, permission: str) -> None:
    if not request.user.has_perm(permission):
        raise PermissionDenied


def filtered_products(request):
    """The catalogue filtered as the list page's form says."""
    form = ProductFilterForm(request.GET or None)
    queryset = Product.objects.all()
    data = form.cleaned_data if form.is_valid() else {}
    status = data.get("status") or "active"
    if status != "all":
        queryset = queryset.filter(is_active=status == "active")
    if data.get("category"):
        queryset = queryset.filter(category=data["category"])
    if data.get("q"):
        text = data["q"].strip()
        queryset = queryset.filter(Q(code__istartswith=text) | Q(name__icontains=text))
    return form, queryset.order_by("code")


class ProductListView(TemplateView):
    template_name = "projects/products/product_list.html"

    def get_context_data(self, **kwargs):
        _require(self.request, "projects.view_product")
        context = super().get_context_data(**kwargs)
        form, queryset = filtered_products(self.request)
        page = page_number(self.request.GET.get("page"))
        rows = list(queryset[(page - 1) * PAGE_SIZE : page * PAGE_SIZE + 1])
        query = self.request.GET.copy()
        query.pop("page", None)
        user = self.request.user
        context.update(
            page_title=gettext("Products"),
            form=form,
            products=rows[:PAGE_SIZE],
            page=page,
            has_next=len(rows) > PAGE_SIZE,
            query=query.urlencode(),
            categories=list(
                Product.objects.exclude(category="")
                .order_by("category")
                .values_list("category", flat=True)
                .distinct()
            ),
            can_edit=user.has_perm("projects.change_product"),
            can_add=user.has_perm("projects.add_product"),
        )
        return context


class ProductDetailView(TemplateView):
    model = Product  # the catalogue, not scoped records
    template_name = "projects/products/product_detail.html"

    def get_context_data(self, **kwargs):
        _require(self.request, "projects.view_product")
        context = super().get_context_data(**kwargs)
        product = get_object_or_404(Product, pk=kwargs["pk"])
        can_edit = self.request.user.has_perm("projects.change_product")
        context.update(
            page_title=str(product),
            product=product,
            history=history_rows(product, limit=20),
            can_edit=can_edit,
        )
        if can_edit:  # those who keep the catalogue see where a product is used
            context.update(
                quote_lines=product.quote_lines.count(),
                order_lines=product.order_lines.count(),
            )
        return context


class ProductFormView(View):
    """Create (no ``pk``) or edit a product."""

    model = Product

    template_name = "projects/products/product_form.html"

    def _product(self, pk):
        if pk is None:
            _require(self.request, "projects.add_product")
            return None
        _require(self.request, "projects.change_product")
        return get_object_or_404(Product, pk=pk)

    def _render(self, request, form, product, status=200):
        title = str(product) if product else gettext("New product")
        return render(
            request,
            self.template_name,
            {"form": form, "product": product, "page_title": title},
            status=status,
        )

    def get(self, request, pk=None):
        product = self._product(pk)
        return self._render(request, ProductForm(instance=product), product)

    def post(self, request, pk=None):
        product = self._product(pk)
        form = ProductForm(request.POST, instance=product)
        if not form.is_valid():
            return self._render(request, form, product, status=400)
        values = {name: form.cleaned_data[name] for name in form.Meta.fields}
        try:
            if product is None:
                saved = products.product_create(by=request.user, **values)
                message = PRODUCT_CREATED
            else:
                saved = products.product_update(product=product, by=request.user, **values)
                message = PRODUCT_SAVED
        except ValidationError as exc:
            form.add_error(None, exc)
            return self._render(request, form, product, status=400)
        messages.success(request, message % {"product": saved})
        return HttpResponseRedirect(saved.get_absolute_url())


class ProductArchiveView(View):
    """Archive a product or put it back on sale (POST ``active=0|1``)."""

    model = Product

    def post(self, request, pk):
        _require(request, "projects.change_product")
        product = get_object_or_404(Product, pk=pk)
        active = request.POST.get("active") == "1"
        products.product_set_active(product=product, by=request.user, active=active)
        message = PRODUCT_RESTORED if active else PRODUCT_ARCHIVED
        messages.success(request, message % {"product": product})
        return HttpResponseRedirect(product.get_absolute_url())


class ProductImportView(View):
    """Upload → check (what each row would do, every error by row and
    column) → confirm. A file with errors cannot be confirmed."""

    template_name = "projects/products/product_import.html"

    def _render(self, request, form, check=None, error="", status=200):
        return render(
            request,
            self.template_name,
            {
                "page_title": gettext("Import products"),
                "form": form,
                "check": check,
                "error": error,
                "payload": check.payload(user=request.user) if check and check.writable else "",
                "file_name": request.FILES["file"].name if check else "",
                "changed_rows": [row for row in check.rows if row.action != "unchanged"][:500]
                if check
                else [],
            },
            status=status,
        )

    def get(self, request):
        _require(request, "projects.add_product")
        return self._render(request, ProductImportForm())

    def post(self, request):
        _require(request, "projects.add_product")
        form = ProductImportForm(request.POST, request.FILES)
        if not form.is_valid():
            return self._render(request, form, status=400)
        try:
            check = products.import_check(upload=form.cleaned_data["file"], by=request.user)
        except ImportFileError as exc:
            return self._render(request, ProductImportForm(), error=exc.message, status=400)
        # The check did its work, whatever it found in the file: 200.
        return self._render(request, ProductImportForm(), check)


class ProductImportConfirmView(View):
    def post(self, request):
        _require(request, "projects.add_product")
        try:
            result = products.import_confirm(
                payload=request.POST.get("payload", ""),
                by=request.user,
                file_name=request.POST.get("file_name", "")[:200],
            )
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
            return HttpResponseRedirect(reverse("quotes:product:import"))
        messages.success(request, IMPORTED % {"created": result.created, "updated": result.updated})
        return HttpResponseRedirect(reverse("quotes:product:index"))


class ProductExportView(View):
    """The filtered catalogue as xlsx, in the columns the import reads back;
    ``?template=1`` gives the headers only."""

    def get(self, request):
        from openpyxl import Workbook

        _require(request, "projects.view_product")
        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet(gettext("Products"))
        sheet.append([column.header() for column in products.COLUMNS])
        if not request.GET.get("template"):
            _form, queryset = filtered_products(request)
            money_columns = {products.FIELDS.index(name) for name in products.MONEY_FIELDS}
            for row in products.export_rows(queryset.iterator(chunk_size=2000)):
                sheet.append(
                    [
                        money_cell(sheet, value) if index in money_columns else neutralise(value)
                        for index, value in enumerate(row)
                    ]
                )
        response = HttpResponse(content_type=XLSX)
        workbook.save(response)
        stamp = timezone.localtime().strftime("%Y%m%d")
        name = "products-template" if request.GET.get("template") else f"products-{stamp}"
        response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
        return response
