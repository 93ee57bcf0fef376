from django.urls import reverse
from django_tasks_db.models import DBTaskResult


def test_reset_enqueues_the_email_on_commit(client, alice, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(reverse("password_reset"), {"email": "alice@example.org"})
    assert response.status_code == 302
    # Nothing is queued before the transaction commits...
    assert not DBTaskResult.objects.exists()
    for callback in callbacks:
        callback()
    # ...then exactly one e-mail task, to alice.
    task = DBTaskResult.objects.get()
    assert task.task_path == "pilotage.accounts.tasks.send_email"
    assert task.args_kwargs["args"][2] == ["alice@example.org"]
    assert "/password/reset/" in task.args_kwargs["args"][1]


def test_reset_for_an_unknown_address_queues_nothing(
    client, alice, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("password_reset"), {"email": "nobody@example.org"})
    assert response.status_code == 302
    assert not DBTaskResult.objects.exists()


def test_the_email_is_written_in_the_requesters_language(
    client, alice, django_capture_on_commit_callbacks
):
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("password_reset"), {"email": "alice@example.org"})
    subject = DBTaskResult.objects.get().args_kwargs["args"][0]
    assert subject == "Pilotage: choose a new password"
