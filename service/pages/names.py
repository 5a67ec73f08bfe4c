"""Vietnamese names officers read for the service's ids: labels, roles, review states, queues, priorities."""

from __future__ import annotations

LABEL_NAMES = {"crime_tip": "Tin báo tội phạm", "procedure": "Thủ tục hành chính", "chat": "Trò chuyện, khác"}
LABEL_KEYS = {"crime_tip": "1", "procedure": "2", "chat": "3"}
# On the buttons of a phone, where three long names would take two lines each.
LABEL_SHORT = {"crime_tip": "Tội phạm", "procedure": "Thủ tục", "chat": "Tin khác"}
ROLE_NAMES = {"officer": "Cán bộ", "analyst": "Cán bộ phân tích số liệu", "admin": "Quản trị viên", "bot": "Bot Zalo"}
STATUS_NAMES = {"unreviewed": "Chưa duyệt", "reviewed": "Đã duyệt", "all": "Tất cả"}
QUEUE_NAMES = {"crime_tips": "Tin báo tội phạm", "procedures": "Hỏi thủ tục", "chat": "Tin khác",
               "review": "Chờ cán bộ xem"}
PRIORITY_NAMES = {"urgent": "Khẩn cấp", "high": "Cao", "normal": "Bình thường", "low": "Thấp"}
