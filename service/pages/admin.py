"""/admin: review-screen accounts (list, create, disable, enable, unlock, new password) and API tokens. Admins only.

An admin limited to some communes sees and manages only accounts and tokens within them, and
creates accounts only within them.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, url_for

from service.communes import within
from service.db import get_db
from service.pages.login import current_user, login_required
from service.pages.names import ROLE_NAMES
from service.pages.places import commune_names
from service.pages.security import page_blueprint
from service.review_queries import to_local
from service.tokens import list_tokens
from service.users import (
    USER_ROLES,
    UserError,
    canonical_name,
    create_user,
    list_users,
    locked_accounts,
    reset_password,
    set_disabled,
    unlock_account,
)

bp = page_blueprint(Blueprint("admin", __name__, url_prefix="/admin"))


@bp.get("/users")
@login_required("admin")
def users() -> str:
    scope = current_user().communes
    locked = locked_accounts(get_db())
    accounts = [{**vars(u), "created_at": to_local(u.created_at),
                 "last_login_at": u.last_login_at and to_local(u.last_login_at),
                 "locked_until": u.id in locked and to_local(locked[u.id])}
                for u in list_users(get_db()) if within(u.communes, scope)]
    tokens = [{**vars(t), "created_at": to_local(t.created_at)} for t in list_tokens(get_db())
              if within(t.communes, scope)]
    return render_template("admin_users.html", accounts=accounts, tokens=tokens, roles=USER_ROLES,
                           communes=commune_names())


@bp.post("/users")
@login_required("admin")
def create() -> Response:
    form = request.form
    names = commune_names()
    chosen = form.getlist("commune")
    try:
        if any(commune not in names for commune in chosen):
            raise UserError("xã không hợp lệ")
        create_user(get_db(), form.get("name", "").strip(), form.get("role", ""), form.get("password", ""),
                    method=current_app.config["PASSWORD_HASH"],
                    communes=frozenset(chosen) if chosen else current_user().communes)
    except UserError as error:
        flash(f"Chưa tạo được tài khoản: {error.vietnamese}.", "error")
    else:
        flash(f"Đã tạo tài khoản {form['name'].strip()} ({ROLE_NAMES[form['role']]}).", "success")
    return redirect(url_for("admin.users"))


@bp.post("/users/<name>/disable")
@login_required("admin")
def disable(name: str) -> Response:
    return _set_disabled(name, True)


@bp.post("/users/<name>/enable")
@login_required("admin")
def enable(name: str) -> Response:
    return _set_disabled(name, False)


def _set_disabled(name: str, disabled: bool) -> Response:
    name = canonical_name(name)
    if disabled and name == current_user().name:
        flash("Không thể tự khóa tài khoản đang dùng.", "error")
        return redirect(url_for("admin.users"))
    if not _manages(name):
        return _not_managed(name)
    try:
        set_disabled(get_db(), name, disabled)
    except UserError as error:
        flash(f"Chưa thực hiện được: {error.vietnamese}.", "error")
    else:
        flash(f"Đã {'khóa' if disabled else 'mở lại'} tài khoản {name}.", "success")
    return redirect(url_for("admin.users"))


@bp.post("/users/<name>/unlock")
@login_required("admin")
def unlock(name: str) -> Response:
    """Lift the account's login locks from every address."""
    name = canonical_name(name)
    if not _manages(name):
        return _not_managed(name)
    try:
        unlock_account(get_db(), name)
    except UserError:
        flash(f"Không có tài khoản {name}.", "error")
    else:
        flash(f"Đã mở tạm khóa đăng nhập của tài khoản {name}.", "success")
    return redirect(url_for("admin.users"))


@bp.post("/users/<name>/reset")
@login_required("admin")
def reset(name: str) -> Response | tuple[str, dict[str, str]]:
    """Give the account a random password, shown once on this page (never stored or sent in a cookie)."""
    name = canonical_name(name)
    if name == current_user().name:
        flash("Hãy đổi mật khẩu của chính mình tại trang «Đổi mật khẩu».", "error")
        return redirect(url_for("admin.users"))
    if not _manages(name):
        return _not_managed(name)
    try:
        password = reset_password(get_db(), name, method=current_app.config["PASSWORD_HASH"])
    except UserError:
        flash(f"Không có tài khoản {name}.", "error")
        return redirect(url_for("admin.users"))
    return render_template("admin_reset.html", name=name, password=password), {"Cache-Control": "no-store"}


def _manages(name: str) -> bool:
    """Whether the logged-in admin may manage this account (it lies within the admin's communes)."""
    scope = current_user().communes
    return any(u.name == name and within(u.communes, scope) for u in list_users(get_db()))


def _not_managed(name: str) -> Response:
    flash(f"Không có tài khoản {name} trong các xã bạn quản lý.", "error")
    return redirect(url_for("admin.users"))
