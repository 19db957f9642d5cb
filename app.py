"""The Chalice app: it registers the blueprints in functions/ and nothing else."""

from functions import (
    admin_api,
    campaign_draw,
    campaign_page,
    campaigns_api,
    channel_upkeep,
    channels_api,
    console,
    console_api,
    content_push,
    event_worker,
    followers_api,
    groups_api,
    inbox_sweeper,
    insight_api,
    journeys_api,
    member_page,
    members_api,
    menus_api,
    moments_api,
    oa_insight,
    privacy_api,
    pushes_api,
    reassignment,
    reassignment_api,
    replies_api,
    staff_api,
    staff_figures,
    tags_api,
    wechat_callback,
)
from functions.gateway_answers import ScrmChalice

# Chalice, answering its own errors in the API's error shape. Logs are Powertools' (scrm.observability):
# Chalice's own set-up would take over the same "wechat-scrm" logger (level ERROR, no propagation).
app = ScrmChalice(app_name="wechat-scrm", configure_logs=False)
app.experimental_feature_flags.update(["BLUEPRINTS"])

for module in (
    admin_api,
    event_worker,
    wechat_callback,
    replies_api,
    inbox_sweeper,
    campaigns_api,
    campaign_draw,
    campaign_page,
    content_push,
    pushes_api,
    channels_api,
    channel_upkeep,
    reassignment,
    reassignment_api,
    privacy_api,
    console,
    console_api,
    menus_api,
    tags_api,
    moments_api,
    groups_api,
    members_api,
    member_page,
    staff_figures,
    staff_api,
    oa_insight,
    insight_api,
    followers_api,
    journeys_api,
):
    app.register_blueprint(module.bp)
