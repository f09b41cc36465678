"""Key rotation for the secrets sealed at rest: every secret is opened with the key that sealed it
and sealed again under a new one; the old key stays readable until every row is rewritten."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sovereign.store.console_totp import ConsoleTotpRepository
from sovereign.store.secrets_box import SecretBox, new_key, read_key_file, write_key_file
from sovereign.store.stores import StoreRepository


@dataclass(frozen=True)
class Rotation:
    resealed: int  # stored secrets rows rewritten under the new key
    key_id: str  # the key that seals from now on
    retired: list[str]  # key ids no longer needed (dropped from the key file, or to drop from the environment)
    key_file: Path | None  # the file rewritten; None when the key comes from SOVEREIGN_SECRET_KEY
    totp_resealed: int = 0  # console users' TOTP secrets rewritten under the new key


async def rotate_key_file(stores: StoreRepository, key_file: Path) -> Rotation:
    """Key-file mode: a new key goes first in the file (old ones kept, so every process still reads
    every row), each secret is resealed in one transaction, then the old keys leave the file."""
    old = [line.strip() for line in key_file.read_text(encoding="ascii").splitlines() if line.strip()]
    read_key_file(key_file)  # a damaged file stops here, before anything changes
    fresh = new_key()
    write_key_file(key_file, [fresh, *old])  # both readable while the rows change
    box = SecretBox(read_key_file(key_file), source=f"the key file {key_file}")
    retired = [k for k in box.key_ids if k != box.current_id]
    stores.box = box
    resealed = await stores.seal_secrets(reseal=True)
    totp = await ConsoleTotpRepository(stores.pool, box).reseal()  # console users' second factors
    write_key_file(key_file, [fresh])  # every row is under the new key: the old ones go
    stores.box = SecretBox(read_key_file(key_file), source=f"the key file {key_file}")
    return Rotation(resealed=resealed, key_id=box.current_id, retired=retired, key_file=key_file,
                    totp_resealed=totp)


async def rotate_to_current(stores: StoreRepository) -> Rotation:
    """Environment mode: ``SOVEREIGN_SECRET_KEY`` is the new key, ``SOVEREIGN_SECRET_KEYS_OLD`` the ones
    to read; every secret is resealed under the new key, after which the old ones can be unset."""
    box = stores.box
    if box is None:
        raise RuntimeError("rotation needs a SecretBox")
    resealed = await stores.seal_secrets(reseal=True)
    totp = await ConsoleTotpRepository(stores.pool, box).reseal()
    return Rotation(resealed=resealed, key_id=box.current_id,
                    retired=[k for k in box.key_ids if k != box.current_id], key_file=None,
                    totp_resealed=totp)
