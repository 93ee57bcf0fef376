from django.urls import reverse

PASSWORD = "correct horse battery"


def login(client, username, password):
    return client.post(reverse("login"), {"username": username, "password": password})


def test_login_and_logout(client, alice):
    response = login(client, "alice", PASSWORD)
    assert response.status_code == 302 and response["Location"] == reverse("home")
    assert client.get(reverse("home")).status_code == 200
    client.post(reverse("logout"))
    assert client.get(reverse("home")).status_code == 302


def test_a_wrong_password_is_refused_with_a_message(client, alice):
    response = login(client, "alice", "wrong")
    assert response.status_code == 200
    assert 'role="alert"' in response.text
    assert client.get(reverse("home")).status_code == 302


def test_repeated_failures_lock_the_account_out(client, alice, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(client, "alice", "wrong")
    response = login(client, "alice", PASSWORD)
    # Locked out: even the right password is refused for the cool-off time.
    assert response.status_code == 429
    assert client.get(reverse("home")).status_code == 302


def test_failures_below_the_limit_do_not_lock_and_success_resets(client, alice, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        login(client, "alice", "wrong")
    assert login(client, "alice", PASSWORD).status_code == 302
    client.post(reverse("logout"))
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        login(client, "alice", "wrong")
    assert login(client, "alice", PASSWORD).status_code == 302


def test_a_lockout_of_one_user_does_not_lock_another(client, alice, bob, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(client, "alice", "wrong")
    assert login(client, "bob", PASSWORD).status_code == 302


def test_password_change(client_for, alice):
    client = client_for(alice)
    response = client.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "a new long passphrase",
            "new_password2": "a new long passphrase",
        },
    )
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.check_password("a new long passphrase")


def test_the_admin_is_for_superusers_only(client_for, alice, django_user_model):
    assert client_for(alice).get("/admin/").status_code == 302  # to the admin login
    root = django_user_model.objects.create_superuser("root", "root@example.org", "pw")
    assert client_for(root).get("/admin/").status_code == 200
    assert client_for(root).get("/admin/organisation/unit/").status_code == 200
