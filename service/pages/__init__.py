"""The review screen for officers, analysts and admins: HTML pages, their templates and static files.

Separate from the bot API (`service.api`) and storage (`service.store`, `service.review_queries`);
pages read and write through them. Every page blueprint gets CSRF checks (`security`), the
logged-in user (`login`) and the one redaction policy (`service.redaction`).
"""

from __future__ import annotations

from flask import Flask

from service.pages import account, admin, dashboard, login, names, review, security


def init_app(app: Flask) -> None:
    """Security headers, sessions and the page blueprints."""
    security.init_app(app)
    login.init_app(app)
    app.jinja_env.globals.update(ROLE_NAMES=names.ROLE_NAMES)
    for blueprint in (login.bp, review.bp, dashboard.bp, admin.bp, account.bp):
        app.register_blueprint(blueprint)
