"""Initial schema: every table of DOMAIN.md with its foreign keys and indexes.

Revision ID: 0001
Revises:
"""

from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# Frozen DDL: later model changes get their own revision, never an edit here.
STATEMENTS = (
    """CREATE TABLE customer (
	id INTEGER NOT NULL,
	code VARCHAR NOT NULL,
	name VARCHAR NOT NULL,
	name_norm VARCHAR NOT NULL,
	kind VARCHAR NOT NULL,
	industry VARCHAR,
	size VARCHAR,
	registered_address VARCHAR,
	business_address VARCHAR,
	region VARCHAR,
	source VARCHAR,
	first_contact DATE,
	level VARCHAR,
	status VARCHAR NOT NULL,
	needs VARCHAR,
	budget_cents INTEGER,
	purchase_date DATE,
	primary_contact_id INTEGER,
	decision_maker_id INTEGER,
	owner VARCHAR,
	total_amount_cents INTEGER NOT NULL,
	last_order DATE,
	last_interaction_at DATETIME,
	created_at DATETIME,
	updated_at DATETIME,
	version INTEGER NOT NULL,
	PRIMARY KEY (id),
	UNIQUE (code)
)""",
    """CREATE INDEX ix_customer_created ON customer (created_at)""",
    """CREATE INDEX ix_customer_last_interaction ON customer (last_interaction_at)""",
    """CREATE INDEX ix_customer_level_status ON customer (level, status)""",
    """CREATE INDEX ix_customer_name ON customer (name COLLATE NOCASE)""",
    """CREATE INDEX ix_customer_name_norm ON customer (name_norm)""",
    """CREATE INDEX ix_customer_status ON customer (status)""",
    """CREATE INDEX ix_customer_total_amount ON customer (total_amount_cents)""",
    """CREATE TABLE sales_target (
	month VARCHAR NOT NULL,
	amount_cents INTEGER NOT NULL,
	PRIMARY KEY (month)
)""",
    """CREATE TABLE tag (
	id INTEGER NOT NULL,
	name VARCHAR NOT NULL,
	PRIMARY KEY (id),
	UNIQUE (name)
)""",
    """CREATE TABLE contact (
	id INTEGER NOT NULL,
	customer_id INTEGER NOT NULL,
	name VARCHAR NOT NULL,
	title VARCHAR,
	department VARCHAR,
	role VARCHAR,
	gender VARCHAR,
	phone VARCHAR,
	mobile VARCHAR,
	email VARCHAR,
	wechat VARCHAR,
	birthday DATE,
	preferred_channel VARCHAR,
	relationship VARCHAR,
	notes VARCHAR,
	owner VARCHAR,
	created_at DATETIME,
	updated_at DATETIME,
	version INTEGER NOT NULL,
	PRIMARY KEY (id),
	FOREIGN KEY(customer_id) REFERENCES customer (id) ON DELETE CASCADE
)""",
    """CREATE INDEX ix_contact_customer_id ON contact (customer_id)""",
    """CREATE TABLE customer_tag (
	customer_id INTEGER NOT NULL,
	tag_id INTEGER NOT NULL,
	PRIMARY KEY (customer_id, tag_id),
	FOREIGN KEY(customer_id) REFERENCES customer (id) ON DELETE CASCADE,
	FOREIGN KEY(tag_id) REFERENCES tag (id) ON DELETE CASCADE
)""",
    """CREATE INDEX ix_customer_tag_tag ON customer_tag (tag_id)""",
    """CREATE TABLE opportunity (
	id INTEGER NOT NULL,
	customer_id INTEGER NOT NULL,
	contact_id INTEGER,
	name VARCHAR NOT NULL,
	product VARCHAR,
	amount_cents INTEGER NOT NULL,
	expected_close DATE,
	stage VARCHAR NOT NULL,
	probability INTEGER NOT NULL,
	probability_overridden BOOLEAN NOT NULL,
	competitor VARCHAR,
	strengths VARCHAR,
	weaknesses VARCHAR,
	key_success_factors VARCHAR,
	risks VARCHAR,
	risk_flag BOOLEAN NOT NULL,
	next_action VARCHAR,
	next_action_due DATE,
	actual_close DATE,
	lost_reason VARCHAR,
	criteria_done VARCHAR NOT NULL,
	stage_entered_at DATETIME,
	last_interaction_at DATETIME,
	created_at DATETIME,
	updated_at DATETIME,
	version INTEGER NOT NULL,
	PRIMARY KEY (id),
	FOREIGN KEY(customer_id) REFERENCES customer (id) ON DELETE CASCADE,
	FOREIGN KEY(contact_id) REFERENCES contact (id) ON DELETE SET NULL
)""",
    """CREATE INDEX ix_opportunity_actual_close ON opportunity (actual_close)""",
    """CREATE INDEX ix_opportunity_created ON opportunity (created_at)""",
    """CREATE INDEX ix_opportunity_customer_id ON opportunity (customer_id)""",
    """CREATE INDEX ix_opportunity_stage_amount ON opportunity (stage, amount_cents, probability)""",
    """CREATE INDEX ix_opportunity_stage_close ON opportunity (stage, expected_close, amount_cents)""",
    """CREATE TABLE sales_order (
	id INTEGER NOT NULL,
	customer_id INTEGER NOT NULL,
	opportunity_id INTEGER,
	order_date DATE NOT NULL,
	amount_cents INTEGER NOT NULL,
	product VARCHAR,
	order_no VARCHAR,
	created_at DATETIME,
	PRIMARY KEY (id),
	FOREIGN KEY(customer_id) REFERENCES customer (id) ON DELETE CASCADE,
	FOREIGN KEY(opportunity_id) REFERENCES opportunity (id) ON DELETE SET NULL,
	UNIQUE (order_no)
)""",
    """CREATE INDEX ix_order_customer_date_amount ON sales_order (customer_id, order_date, amount_cents)""",
    """CREATE INDEX ix_order_date ON sales_order (order_date, amount_cents)""",
    """CREATE TABLE stage_change (
	id INTEGER NOT NULL,
	opportunity_id INTEGER NOT NULL,
	from_stage VARCHAR,
	to_stage VARCHAR NOT NULL,
	changed_at DATETIME,
	PRIMARY KEY (id),
	FOREIGN KEY(opportunity_id) REFERENCES opportunity (id) ON DELETE CASCADE
)""",
    """CREATE INDEX ix_stage_change_changed ON stage_change (changed_at)""",
    """CREATE INDEX ix_stage_change_opportunity ON stage_change (opportunity_id, changed_at)""",
    """CREATE TABLE task (
	id INTEGER NOT NULL,
	title VARCHAR NOT NULL,
	type VARCHAR NOT NULL,
	customer_id INTEGER,
	contact_id INTEGER,
	opportunity_id INTEGER,
	goal VARCHAR,
	notes VARCHAR,
	due DATE NOT NULL,
	due_time VARCHAR,
	planned_start DATETIME,
	planned_end DATETIME,
	status VARCHAR NOT NULL,
	result VARCHAR,
	completed_at DATETIME,
	created_at DATETIME,
	updated_at DATETIME,
	version INTEGER NOT NULL,
	PRIMARY KEY (id),
	FOREIGN KEY(customer_id) REFERENCES customer (id) ON DELETE CASCADE,
	FOREIGN KEY(contact_id) REFERENCES contact (id) ON DELETE SET NULL,
	FOREIGN KEY(opportunity_id) REFERENCES opportunity (id) ON DELETE SET NULL
)""",
    """CREATE INDEX ix_task_completed ON task (completed_at)""",
    """CREATE INDEX ix_task_customer ON task (customer_id)""",
    """CREATE INDEX ix_task_open_due ON task (due, due_time) WHERE status IN ('planned', 'in_progress')""",
    """CREATE INDEX ix_task_opportunity ON task (opportunity_id)""",
    """CREATE INDEX ix_task_status_due ON task (status, due)""",
    """CREATE TABLE interaction (
	id INTEGER NOT NULL,
	customer_id INTEGER NOT NULL,
	contact_id INTEGER,
	opportunity_id INTEGER,
	occurred_at DATETIME NOT NULL,
	channel VARCHAR NOT NULL,
	location VARCHAR,
	our_people VARCHAR,
	their_people VARCHAR,
	subject VARCHAR NOT NULL,
	content VARCHAR,
	feedback VARCHAR,
	attitude VARCHAR,
	key_facts VARCHAR,
	next_step VARCHAR,
	next_step_due DATE,
	task_id INTEGER,
	created_at DATETIME,
	updated_at DATETIME,
	version INTEGER NOT NULL,
	PRIMARY KEY (id),
	FOREIGN KEY(customer_id) REFERENCES customer (id) ON DELETE CASCADE,
	FOREIGN KEY(contact_id) REFERENCES contact (id) ON DELETE SET NULL,
	FOREIGN KEY(opportunity_id) REFERENCES opportunity (id) ON DELETE SET NULL,
	FOREIGN KEY(task_id) REFERENCES task (id) ON DELETE SET NULL
)""",
    """CREATE INDEX ix_interaction_customer_when ON interaction (customer_id, occurred_at)""",
    """CREATE INDEX ix_interaction_opportunity ON interaction (opportunity_id)""",
    """CREATE INDEX ix_interaction_when ON interaction (occurred_at)""",
    """CREATE TABLE payment (
	id INTEGER NOT NULL,
	order_id INTEGER NOT NULL,
	paid_on DATE NOT NULL,
	amount_cents INTEGER NOT NULL,
	PRIMARY KEY (id),
	FOREIGN KEY(order_id) REFERENCES sales_order (id) ON DELETE CASCADE
)""",
    """CREATE INDEX ix_payment_order_id ON payment (order_id)""",
)


def upgrade() -> None:
    for statement in STATEMENTS:
        op.execute(statement)


def downgrade() -> None:
    for table in (
        "payment", "sales_order", "interaction", "stage_change", "task", "customer_tag",
        "opportunity", "contact", "tag", "sales_target", "customer",
    ):  # fmt: skip
        op.execute(f"DROP TABLE IF EXISTS {table}")
