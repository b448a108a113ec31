"""``ecom-token keypair|mint``: local keys and tokens for development and tests."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from shared.auth.tokens import generate_dev_keypair, mint_token


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="ecom-token", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    keypair = sub.add_parser("keypair", help="write jwt-private.pem and jwt-public.pem")
    keypair.add_argument("--out-dir", type=Path, required=True)
    mint = sub.add_parser("mint", help="print a signed token")
    mint.add_argument("--private-key", type=Path, required=True)
    mint.add_argument("--sub", default="dev")
    mint.add_argument("--role", action="append", required=True)
    mint.add_argument("--region")
    mint.add_argument("--enterprise", action="append", default=[])
    mint.add_argument("--grant", action="append", default=[])
    mint.add_argument("--issuer", default="ecom-local")
    mint.add_argument("--audience", default="ecom-api")
    mint.add_argument("--ttl", type=int, default=3600)
    args = parser.parse_args(argv)
    if args.command == "keypair":
        private_pem, public_pem = generate_dev_keypair()
        args.out_dir.mkdir(parents=True, exist_ok=True)
        private_path = args.out_dir / "jwt-private.pem"
        private_path.write_text(private_pem)
        os.chmod(private_path, 0o600)
        (args.out_dir / "jwt-public.pem").write_text(public_pem)
        print(f"wrote {private_path} and {args.out_dir / 'jwt-public.pem'}")
        return
    print(
        mint_token(
            private_key_pem=args.private_key.read_text(),
            subject=args.sub,
            roles=args.role,
            region_code=args.region,
            enterprise_ids=args.enterprise,
            grants=args.grant,
            issuer=args.issuer,
            audience=args.audience,
            ttl_seconds=args.ttl,
        )
    )


if __name__ == "__main__":
    main()
