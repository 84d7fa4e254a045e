"""A real SMTP server on loopback for contrakt's email tests (aiosmtpd).

Usage: smtp_server.py DIR MODE [LOGIN PASSWORD]. MODE is `starttls` (STARTTLS required before
AUTH and mail), `tls` (implicit TLS) or `plain`. For the TLS modes a self-signed certificate for
127.0.0.1 and localhost is generated into DIR/cert.pem. Prints one JSON line {"port", "cert"},
then writes each accepted message, parsed by Python's email package, to DIR/message-N.json
before answering 250. Exits when its standard input closes (the test ended) or after 2 minutes.
"""

import asyncio
import datetime
import email
import email.policy
import ipaddress
import json
import os
import ssl
import sys

from aiosmtpd.smtp import SMTP, AuthResult


def make_cert(directory):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "contrakt test SMTP")])
    now = datetime.datetime.now(datetime.timezone.utc)
    san = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(san), critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path = os.path.join(directory, "cert.pem")
    key_path = os.path.join(directory, "key.pem")
    with open(cert_path, "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(key_path, "wb") as f:
        f.write(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_path, key_path)
    return cert_path, context


class Recorder:
    def __init__(self, directory):
        self.directory = directory
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        parts = [
            {"content_type": part.get_content_type(), "body": part.get_content()}
            for part in message.walk()
            if not part.is_multipart()
        ]
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            # STARTTLS sets session.ssl; implicit TLS shows on the transport.
            "tls": session.ssl is not None or server.transport.get_extra_info("ssl_object") is not None,
            "login": session.auth_data.decode() if isinstance(session.auth_data, bytes) else session.auth_data,
            "headers": {k.lower(): str(v) for k, v in message.items()},
            "content_type": message.get_content_type(),
            "parts": parts,
        }
        self.count += 1
        path = os.path.join(self.directory, "message-%03d.json" % self.count)
        with open(path + ".tmp", "w") as f:
            json.dump(record, f)
        os.replace(path + ".tmp", path)
        return "250 Message accepted for delivery"


def authenticator(login, password):
    def check(server, session, envelope, mechanism, auth_data):
        ok = auth_data.login.decode() == login and auth_data.password.decode() == password
        return AuthResult(success=ok, handled=False, auth_data=auth_data.login if ok else None)

    return check


async def main():
    directory, mode = sys.argv[1], sys.argv[2]
    credentials = sys.argv[3:5]
    cert, context = make_cert(directory) if mode in ("starttls", "tls") else (None, None)
    options = {"hostname": "contrakt-test-smtp"}
    if credentials:
        options["authenticator"] = authenticator(*credentials)
        options["auth_required"] = True
    if mode == "starttls":
        options.update(tls_context=context, require_starttls=True, auth_require_tls=True)
    else:
        # Implicit TLS is TLS from the first byte; plain mode has no TLS at all.
        options["auth_require_tls"] = False
    recorder = Recorder(directory)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(recorder, **options),
        "127.0.0.1",
        0,
        ssl=context if mode == "tls" else None,
    )
    port = server.sockets[0].getsockname()[1]
    print(json.dumps({"port": port, "cert": cert}), flush=True)
    stdin_closed = loop.run_in_executor(None, sys.stdin.read)
    await asyncio.wait_for(stdin_closed, timeout=120)


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except (asyncio.TimeoutError, KeyboardInterrupt):
        pass
