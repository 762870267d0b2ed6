"""Speak ACME: account, order, http-01 challenges, finalisation. No store in here.

The ``acme`` library's calls block (HTTP requests, polling); callers run this
in a worker thread, never on an event loop.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import josepy as jose
from acme import challenges, client, errors, messages
from cryptography.hazmat.primitives.asymmetric import rsa

from sslterm.autossl.responders import Responder, StandaloneResponder, WebrootResponder
from sslterm.core.errors import InputError, SslTermError

LETS_ENCRYPT = "https://acme-v02.api.letsencrypt.org/directory"
LETS_ENCRYPT_STAGING = "https://acme-staging-v02.api.letsencrypt.org/directory"
NAMED_DIRECTORIES = {"letsencrypt": LETS_ENCRYPT, "letsencrypt-staging": LETS_ENCRYPT_STAGING}
USER_AGENT = "sslterm (acme-python)"
STEPS = ("account", "order", "challenge", "finalise")

Progress = Callable[[str, str], None]  # (step, message)


@dataclass(frozen=True)
class AcmeSettings:
    """Where and how to obtain a certificate; kept with the certificate for its renewals."""

    directory: str
    email: str
    challenge: str  # "webroot" | "standalone"
    webroot: str | None = None
    port: int | None = None
    ca_bundle: str | None = None
    key_type: str = "ec256"

    def checked(self) -> AcmeSettings:
        directory = NAMED_DIRECTORIES.get(self.directory, self.directory)
        if not directory.startswith(("https://", "http://")):
            raise InputError(f"ACME directory {self.directory!r} is not a URL or one of {', '.join(NAMED_DIRECTORIES)}", "directory")
        if self.challenge == "webroot" and not self.webroot:
            raise InputError("the webroot challenge needs a directory (--webroot DIR)", "webroot")
        if self.challenge == "standalone" and not (self.port and 1 <= self.port <= 65535):
            raise InputError("the standalone challenge needs a port from 1 to 65535 (--standalone PORT)", "port")
        if self.challenge not in ("webroot", "standalone"):
            raise InputError("challenge is webroot or standalone", "challenge")
        if self.ca_bundle and not Path(self.ca_bundle).is_file():
            raise InputError(f"CA bundle {self.ca_bundle} is not a file", "ca_bundle")
        return AcmeSettings(directory, self.email, self.challenge, self.webroot, self.port, self.ca_bundle, self.key_type)


@dataclass(frozen=True)
class Obtained:
    fullchain_pem: bytes
    account_url: str


def new_account_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def obtain(settings: AcmeSettings, account_key: rsa.RSAPrivateKey, csr_pem: bytes, progress: Progress | None = None) -> Obtained:
    """Register (or find) the account, order the CSR's names, answer http-01, finalise.

    Raises:
        SslTermError: with the CA's problem document, or what failed on our side.
    """
    say = progress or (lambda step, message: None)
    try:
        return _obtain(settings, account_key, csr_pem, say)
    except messages.Error as exc:
        raise SslTermError(f"the CA refused: {_problem(exc)}") from None
    except errors.ValidationError as exc:
        reasons = "; ".join(_authz_failure(a) for a in exc.failed_authzrs)
        raise SslTermError(f"the CA could not validate the challenge: {reasons}") from None
    except errors.TimeoutError:
        raise SslTermError("the CA did not finish in time (authorizations still pending)") from None
    except errors.Error as exc:
        raise SslTermError(f"ACME error: {' '.join(str(exc).split()) or type(exc).__name__}") from None
    except OSError as exc:  # requests' ConnectionError, SSLError and timeouts are OSErrors
        raise SslTermError(f"cannot reach the ACME server {settings.directory}: {_short(exc)}") from None


def _obtain(settings: AcmeSettings, account_key: rsa.RSAPrivateKey, csr_pem: bytes, say: Progress) -> Obtained:
    verify: bool | str = settings.ca_bundle or True
    net = client.ClientNetwork(jose.JWKRSA(key=account_key), user_agent=USER_AGENT, verify_ssl=verify)  # type: ignore[arg-type]
    say("account", f"directory {settings.directory}")
    directory = client.ClientV2.get_directory(settings.directory, net)
    acme = client.ClientV2(directory, net)
    registration = messages.NewRegistration.from_data(email=settings.email, terms_of_service_agreed=True)
    try:
        account = acme.new_account(registration)
        say("account", f"registered {settings.email}")
    except errors.ConflictError as exc:  # the key already has an account: use it
        net.account = messages.RegistrationResource(uri=exc.location, body=messages.Registration())
        account = net.account
        say("account", "existing account")
    say("order", "creating the order")
    order = acme.new_order(csr_pem)
    responder = _responder(settings)
    try:
        pending = 0
        for authz in order.authorizations:
            if authz.body.status == messages.STATUS_VALID:
                continue
            challb = next((c for c in authz.body.challenges if isinstance(c.chall, challenges.HTTP01)), None)
            if challb is None:
                raise SslTermError(f"the CA offers no http-01 challenge for {authz.body.identifier.value} (wildcards need dns-01)")
            response, validation = challb.response_and_validation(net.key)
            responder.add(challb.chall.encode("token"), validation)
            acme.answer_challenge(challb, response)
            pending += 1
        say("challenge", f"answered {pending} http-01 challenge(s), waiting for the CA")
        say("finalise", "finalising the order")
        final = acme.poll_and_finalize(order)
    finally:
        responder.close()
    if not final.fullchain_pem:
        raise SslTermError("the CA finalised the order without a certificate")
    say("finalise", "certificate issued")
    return Obtained(final.fullchain_pem.encode(), account.uri)


def _responder(settings: AcmeSettings) -> Responder:
    if settings.challenge == "webroot":
        assert settings.webroot is not None
        return WebrootResponder(Path(settings.webroot).expanduser())
    assert settings.port is not None
    return StandaloneResponder(settings.port)


def _problem(error: messages.Error) -> str:
    detail = " ".join((error.detail or "").split())
    kind = (error.typ or "").rsplit(":", 1)[-1]
    return f"{detail} ({kind})" if kind else detail or str(error)


def _authz_failure(authz: messages.AuthorizationResource) -> str:
    for challb in authz.body.challenges:
        if challb.error is not None:
            return f"{authz.body.identifier.value}: {_problem(challb.error)}"
    return f"{authz.body.identifier.value}: {authz.body.status}"


def _short(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text[:200] or type(exc).__name__
