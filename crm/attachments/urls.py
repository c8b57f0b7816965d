from django.urls import path

from crm.attachments import views

# The file routes come first: "file" would otherwise be read as a record label.
urlpatterns = [
    path("attachments/file/<int:pk>/", views.attachment_download, name="attachment_download"),
    path(
        "attachments/file/<int:pk>/archive/",
        views.attachment_archive,
        name="attachment_archive",
    ),
    path(
        "attachments/file/<int:pk>/restore/",
        views.attachment_restore,
        name="attachment_restore",
    ),
    path("attachments/file/<int:pk>/record/", views.attachment_record, name="attachment_record"),
    path(
        "attachments/<str:label>/<int:pk>/",
        views.attachment_card,
        name="attachment_card",
    ),
]
