"""People: one User per email address across the whole installation (CU8)."""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.contrib.sessions.backends.base import SessionBase
from django.contrib.sessions.base_session import AbstractBaseSession
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_otp.models import Device

from portail.accounts.tokens import hash_token, normalize_recovery_code


class Language(models.TextChoices):
    ENGLISH = "en", _("English")
    FRENCH = "fr", _("French")


def normalize_email(email: str) -> str:
    """Trim spaces and lower-case the whole address: one address is one person."""
    return email.strip().lower()


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def get_by_natural_key(self, username: str | None) -> User:
        return self.get(email__iexact=normalize_email(username or ""))

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=normalize_email(email), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


# django-otp's devices point at the user through an untyped abstract base.
class User(AbstractBaseUser, PermissionsMixin):  # type: ignore[django-manager-missing]
    email = models.EmailField(_("email address"), max_length=254, unique=True)
    full_name = models.CharField(_("full name"), max_length=150, blank=True)
    language = models.CharField(
        _("preferred language"), max_length=5, choices=Language.choices, default=Language.ENGLISH
    )
    # is_staff is Django's "may use the Django admin" flag (superusers), not Portail staff.
    is_staff = models.BooleanField(_("Django admin access"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                name="accounts_user_email_ci_unique",
                violation_error_message=_("A person with this email address already exists."),
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.full_name or self.email

    def get_full_name(self) -> str:
        return self.display_name

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email

    def clean(self) -> None:
        super().clean()
        self.email = normalize_email(self.email)


class PasswordResetToken(models.Model):
    """A single-use password-reset link; only the hash of its token is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="password_reset_tokens")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "created_at"])]

    def __str__(self) -> str:
        return f"password reset for {self.user_id} at {self.created_at:%Y-%m-%d %H:%M}"


class UserSession(AbstractBaseSession):
    """A session, with the person signed in to it (portail.accounts.session_store).

    Django's own session row plus `user_id`, written by the same save: so a person's
    sessions can all be ended at once (portail.accounts.sessions.user_sessions_end)
    without reading every session of the installation, and at no extra query.
    Not a foreign key: a session is saved whatever its data says.
    """

    user_id = models.BigIntegerField(null=True, db_index=True)

    @classmethod
    def get_session_store_class(cls) -> type[SessionBase]:
        from portail.accounts.session_store import SessionStore

        return SessionStore


class RecoveryCodeDevice(Device):
    """A person's one-time recovery codes, as a django-otp device.

    django-otp's own `otp_static` stores its tokens in plain text; these are
    stored as SHA-256 hashes (like every other secret we hand out, see
    `tokens.py`), so a copy of the database does not hold working codes. Being a
    `Device`, a code that signs someone in marks the session verified like a
    TOTP code does (`django_otp.login`). Each code carries 80 random bits, too
    many to find from its hash by trying.
    """

    class Meta(Device.Meta):
        verbose_name = _("recovery codes")
        verbose_name_plural = _("recovery codes")

    def verify_token(self, token: object) -> bool:
        """Spend the code if it is one of this person's unused ones (a conditional UPDATE)."""
        code = normalize_recovery_code(str(token))
        if not code:
            return False
        spent = self.codes.filter(code_hash=hash_token(code), used_at__isnull=True).update(
            used_at=timezone.now()
        )
        return bool(spent == 1)


class RecoveryCode(models.Model):
    device = models.ForeignKey(RecoveryCodeDevice, on_delete=models.CASCADE, related_name="codes")
    code_hash = models.CharField(max_length=64)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["device", "code_hash"], name="accounts_recoverycode_unique_per_device"
            )
        ]

    def __str__(self) -> str:
        return f"recovery code {self.pk} of device {self.device_id}"
