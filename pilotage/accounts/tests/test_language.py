from django.conf import settings
from django.urls import reverse


def test_french_is_the_default(client, alice):
    response = client.get(reverse("login"))
    assert response["Content-Language"] == "fr"
    assert '<html lang="fr">' in response.text


def test_the_switch_sets_the_language_for_an_anonymous_visitor(client, db):
    response = client.post(reverse("set_language"), {"language": "en", "next": reverse("login")})
    assert response.status_code == 302 and response["Location"] == reverse("login")
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    page = client.get(reverse("login"))
    assert page["Content-Language"] == "en"
    assert "Log in" in page.text


def test_the_switch_saves_the_preference_of_a_signed_in_person(client_for, client, alice):
    client_for(alice).post(reverse("set_language"), {"language": "en", "next": "/"})
    alice.refresh_from_db()
    assert alice.language == "en"
    # On another device (no cookie), the preference still applies once signed in.
    client.cookies.clear()
    client.force_login(alice)
    response = client.get(reverse("home"))
    assert response["Content-Language"] == "en"
    assert "My units and roles" in response.text


def test_the_preference_wins_over_the_browser(client, alice):
    alice.language = "fr"
    alice.save()
    client.force_login(alice)
    response = client.get(reverse("home"), headers={"accept-language": "en"})
    assert response["Content-Language"] == "fr"


def test_an_unknown_language_is_refused(client, db):
    response = client.post(reverse("set_language"), {"language": "xx", "next": "/"})
    assert response.status_code == 400


def test_an_outside_next_address_is_not_followed(client, db):
    response = client.post(
        reverse("set_language"), {"language": "en", "next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("home")


def test_dates_follow_the_language(client_for, alice):
    client = client_for(alice)
    assert "1 janvier 2020" in client.get(reverse("home")).text
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert "Jan. 1, 2020" in client.get(reverse("home")).text
