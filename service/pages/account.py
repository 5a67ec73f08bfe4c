"""/account/password: the logged-in user changes their own password (Post/Redirect/Get)."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, url_for

from service.db import get_db
from service.pages.login import check_credentials, current_user, log_in, login_required
from service.pages.security import page_blueprint
from service.users import MIN_PASSWORD_CHARS, set_password

bp = page_blueprint(Blueprint("account", __name__, url_prefix="/account"))


@bp.get("/password")
@login_required()
def password() -> str:
    return render_template("password.html", min_chars=MIN_PASSWORD_CHARS)


@bp.post("/password")
@login_required()
def change_password() -> Response:
    """Check the current password, set the new one, end every other session and keep this browser logged in."""
    form = request.form
    current, new = form.get("current", ""), form.get("new", "")
    problem = _problem(current, new, form.get("again", ""))
    if problem is None and check_credentials(current_user().name, current) is None:
        problem = "Mật khẩu hiện tại không đúng (hoặc tài khoản đang bị tạm khóa trên máy này sau nhiều lần nhập sai)."
    if problem is not None:
        flash(f"Chưa đổi được mật khẩu: {problem}", "error")
        return redirect(url_for("account.password"))
    user = current_user()
    set_password(get_db(), user.name, new, method=current_app.config["PASSWORD_HASH"])
    log_in(user)
    flash("Đã đổi mật khẩu. Mọi phiên đăng nhập khác của tài khoản này đã kết thúc.", "success")
    return redirect(url_for("account.password"))


def _problem(current: str, new: str, again: str) -> str | None:
    """What is wrong with the new password, in Vietnamese, or None."""
    if new != again:
        return "hai lần nhập mật khẩu mới không khớp."
    if len(new) < MIN_PASSWORD_CHARS:
        return f"mật khẩu mới phải có ít nhất {MIN_PASSWORD_CHARS} ký tự."
    if new == current:
        return "mật khẩu mới phải khác mật khẩu hiện tại."
    return None
