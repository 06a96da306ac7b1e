"""``casedesk demo-data``: a believable agency to click through, built with the real actions.

Idempotent: every row is looked up before it is created, so a second run changes nothing and
says so. It always prints every login, and a working magic link for a contact without portal
access (derived from SECRET_KEY, so the same link is printed on every run while it is valid).
"""

from __future__ import annotations

import hashlib
import hmac
import sys
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from tqdm import tqdm

from casedesk.accounts.actions import IssuedMagicLink, do_issue_magic_link, magic_link_url
from casedesk.accounts.models import Agency, Client, Contact, MagicLink, Membership, Role, User, hash_token
from casedesk.cases.actions import do_create_case, do_post_message, do_set_case_status
from casedesk.cases.models import Case, CaseStatus, Message
from casedesk.support.actions import (
    do_feedback,
    do_get_or_create_visitor,
    do_post_visitor_message,
    do_reply_as_agent,
    do_start_conversation,
)
from casedesk.support.help import seed_help_articles
from casedesk.support.models import Conversation, HelpArticle, MessageKind
from casedesk.support.triage.service import index_for, wait_for_rebuilds

DEMO_PASSWORD = "casedesk-demo-2024"  # noqa: S105 -- printed for the demo on purpose

AGENCY = {"slug": "northwind", "name": "Northwind Creative", "brand_color": "#4f46e5"}
TEAM = [
    ("maya@northwind.example", "Maya Patel", Role.OWNER),
    ("leo@northwind.example", "Leo Martins", Role.ADMIN),
    ("sam@northwind.example", "Sam Okafor", Role.MEMBER),
]
# client name -> [(contact email, contact name, has a portal account)]
CLIENTS: dict[str, list[tuple[str, str, bool]]] = {
    "Harbor Coffee": [
        ("jenna@harborcoffee.example", "Jenna Brooks", True),
        ("tom@harborcoffee.example", "Tom Reed", False),
    ],
    "Greenleaf Dental": [("ana@greenleafdental.example", "Ana Silva", True)],
    "Atlas Logistics": [
        ("priya@atlaslogistics.example", "Priya Nair", True),
        ("victor@atlaslogistics.example", "Victor Chen", False),
    ],
    "Bloom Florist": [("grace@bloomflorist.example", "Grace Kim", False)],
}


# The agency's own help centre answers its customers' questions in the support widget.
AGENCY_ARTICLES: list[tuple[str, str, str, list[str]]] = [
    (
        "approving-designs",
        "Approving designs and giving feedback",
        "Open the case in your portal under My cases and reply in the Messages tab. Say which "
        "version you approve, or list your changes as bullet points; we reply within one working day.\n\n"
        "You can also reply to any of our emails: your reply lands in the same thread.",
        [
            "How do I approve a design?",
            "Where do I give feedback on the mockups?",
            "How do I request changes?",
        ],
    ),
    (
        "sending-files",
        "Sending us files",
        "Attach files to a message in the case thread, or attach them to an email reply. Each file "
        "can be up to 25 MB: PDFs, images, videos, office documents and archives all work.\n\n"
        "Every file you send appears in the case's Documents tab.",
        ["How do I send you files?", "What is the maximum file size?", "Can I upload a video?"],
    ),
    (
        "office-hours",
        "Office hours and response times",
        "Our studio is open Monday to Friday, 9:00 to 17:30 (UK time). We answer messages within one "
        "working day, and urgent launch issues the same day.",
        ["When are you open?", "What are your office hours?", "How fast do you reply?"],
    ),
    (
        "invoices",
        "Invoices and payment",
        "We invoice monthly for retainers and at each milestone for projects. Invoices are due within "
        "30 days by bank transfer; the bank details are on every invoice.",
        ["When will I get an invoice?", "How do I pay an invoice?", "What are your payment terms?"],
    ),
]


@dataclass
class Chat:
    """A visitor's conversation with the storefront's support widget, asked through the real bot."""

    visitor: str  # "" for an anonymous visitor
    email: str
    question: str
    page: str = "/s/northwind/"
    reply: str = ""  # a teammate's answer after the hand-over (by Leo)
    helpful: bool | None = None  # the visitor's thumbs on the bot's answer


# The customer widget's history: two answers from the help centre, and questions it has no article
# for, which the bot hands to a person. Those fill the Support queue and Settings → Help centre
# (questions grouped by similarity, to add as example questions or draft an article from).
CHATS = [
    Chat("Tom Reyes", "", "When will I get my invoice?", helpful=True),
    Chat("", "", "Can I upload a video for the launch page?", page="/s/northwind/work"),
    Chat("Marta Kowalski", "", "Do you work weekends?"),
    Chat("Hannah Cole", "hannah@colestudio.example", "How much notice do I need to cancel the retainer?"),
    Chat(
        "Ben Ortiz",
        "",
        "Can I end our retainer early?",
        reply="Yes: retainers run month to month with 30 days' notice. Reply here with the date you'd "
        "like to stop and I'll confirm it in writing.",
    ),
    Chat("", "", "Can we pause the retainer over the summer?", page="/s/northwind/pricing"),
    Chat("Lucy Park", "lucy@parkbakery.example", "Do you also run TikTok ads?", page="/s/northwind/pricing"),
    Chat("", "", "Can you run our TikTok ads too?", page="/s/northwind/work"),
    Chat("Omar Haddad", "", "Do you take American Express?"),
]


@dataclass
class Post:
    who: str  # a team email, a contact email
    body: str
    internal: bool = False


@dataclass
class CaseSpec:
    title: str
    client: str
    contacts: list[str]
    members: list[str]
    status: str = CaseStatus.OPEN
    days_ago: int = 3
    posts: list[Post] = field(default_factory=list)


MAYA, LEO, SAM = (t[0] for t in TEAM)
JENNA, TOM = "jenna@harborcoffee.example", "tom@harborcoffee.example"
ANA = "ana@greenleafdental.example"
PRIYA, VICTOR = "priya@atlaslogistics.example", "victor@atlaslogistics.example"
GRACE = "grace@bloomflorist.example"

CASES: list[CaseSpec] = [
    CaseSpec(
        "Autumn menu launch campaign",
        "Harbor Coffee",
        [JENNA, TOM],
        [SAM],
        days_ago=9,
        posts=[
            Post(
                JENNA,
                "Hi team! We're launching the autumn menu on the 1st. Can you plan posts and a newsletter?",
            ),
            Post(
                SAM,
                "Absolutely. I'll draft a two-week calendar with **three posts a week** and one newsletter.",
            ),
            Post(
                SAM,
                "Budget note: they asked for paid ads last year too; check before we quote.",
                internal=True,
            ),
            Post(TOM, "Photos of the pumpkin latte are in our shared drive, folder *Autumn*."),
            Post(SAM, "Thanks Tom, got them. Draft calendar coming Thursday."),
        ],
    ),
    CaseSpec(
        "Website refresh: new booking page",
        "Greenleaf Dental",
        [ANA],
        [LEO, SAM],
        days_ago=14,
        posts=[
            Post(
                ANA, "Patients keep calling because they can't find online booking. Can we make it obvious?"
            ),
            Post(
                LEO, "Yes. We'll put a *Book a visit* button on every page and simplify the form to 4 fields."
            ),
            Post(LEO, "@Sam Okafor can you mock up the form this week?", internal=True),
            Post(SAM, "Mock-up attached to the design board. Sending a preview link to Ana tomorrow."),
        ],
    ),
    CaseSpec(
        "Q3 shipping report design",
        "Atlas Logistics",
        [PRIYA, VICTOR],
        [MAYA],
        CaseStatus.WAITING,
        days_ago=6,
        posts=[
            Post(PRIYA, "We need the Q3 report in our new colours. Victor will send the numbers."),
            Post(MAYA, "Great. Waiting on the numbers from Victor before we start the layout."),
            Post(VICTOR, "Numbers will be ready Monday; finance is still closing the quarter."),
        ],
    ),
    CaseSpec(
        "Mother's Day flyer",
        "Bloom Florist",
        [GRACE],
        [SAM],
        CaseStatus.CLOSED,
        days_ago=30,
        posts=[
            Post(GRACE, "Could you make an A5 flyer for Mother's Day? Same style as Valentine's."),
            Post(SAM, "Here's the final flyer. Printed copies arrive Friday."),
            Post(GRACE, "Lovely, thank you! All good from our side."),
            Post(SAM, "Closing this one. Grace was happy; reuse the template next year.", internal=True),
        ],
    ),
    CaseSpec(
        "Loyalty card redesign",
        "Harbor Coffee",
        [JENNA],
        [LEO],
        days_ago=4,
        posts=[
            Post(JENNA, "Our stamp cards look dated. Can we get two or three options?"),
            Post(LEO, "Sure. Do you want to keep the 10-stamp format or move to 8?"),
            Post(JENNA, "Let's try 8 stamps, people complain it takes too long."),
        ],
    ),
    CaseSpec(
        "Google reviews reply templates",
        "Greenleaf Dental",
        [ANA],
        [SAM],
        days_ago=2,
        posts=[
            Post(ANA, "Could you write a few friendly templates for replying to reviews, good and bad?"),
            Post(SAM, "On it: five templates, including one for complaints about waiting times."),
            Post(SAM, "Keep medical details out of every reply: patient privacy rules.", internal=True),
        ],
    ),
    CaseSpec(
        "Trade show booth graphics",
        "Atlas Logistics",
        [PRIYA],
        [MAYA, LEO],
        days_ago=20,
        posts=[
            Post(PRIYA, "We have a 3x3 m booth at LogiMat in March. Need a back wall and two roll-ups."),
            Post(MAYA, "Noted. Please send the booth specs from the organiser when you get them."),
            Post(PRIYA, "Specs attached in the organiser's email; forwarding now."),
            Post(MAYA, "Printer quotes are 20% above last year; margin is thin.", internal=True),
            Post(LEO, "First concepts are ready. Which direction do you prefer, A or B?"),
        ],
    ),
    CaseSpec(
        "Wedding season Instagram posts",
        "Bloom Florist",
        [GRACE],
        [],
        days_ago=1,
        posts=[
            Post(GRACE, "Wedding season is starting. Could you plan six Instagram posts for June?"),
        ],
    ),
    CaseSpec(
        "Barista hiring poster",
        "Harbor Coffee",
        [TOM],
        [SAM],
        CaseStatus.CLOSED,
        days_ago=45,
        posts=[
            Post(TOM, "We're hiring two baristas. Poster for the shop window please!"),
            Post(SAM, "Done: poster is in the shared folder, printed at A2."),
        ],
    ),
    CaseSpec(
        "Newsletter template fixes",
        "Atlas Logistics",
        [VICTOR],
        [LEO],
        CaseStatus.WAITING,
        days_ago=5,
        posts=[
            Post(VICTOR, "The newsletter footer looks broken in Outlook."),
            Post(LEO, "Thanks for the screenshot. Could you tell us which Outlook version you use?"),
            Post(LEO, "Likely the table layout in the footer; check with Litmus.", internal=True),
        ],
    ),
]

PLATFORM = {"slug": "platform", "name": "casedesk Support"}
PLATFORM_STAFF = ("support@casedesk.example", "Pat Rivera")
OTHER_AGENCY = {"slug": "bluebird", "name": "Bluebird Studio", "brand_color": "#0e7490"}
OTHER_OWNER = ("dana@bluebird.example", "Dana Wells")
OTHER_CLIENT = ("Orbit Games", "olga@orbitgames.example", "Olga Ivanova")
OTHER_CASE = "Game trailer storyboard"


class Tally:
    def __init__(self) -> None:
        self.created: dict[str, int] = {}

    def add(self, what: str, created: bool) -> None:
        if created:
            self.created[what] = self.created.get(what, 0) + 1

    @property
    def total(self) -> int:
        return sum(self.created.values())


def demo_magic_token(contact: Contact, case: Case, attempt: int) -> str:
    """A stable token per (contact, case, attempt): the demo can print a working link every run.

    HMAC-SHA256 under SECRET_KEY gives 256 bits that nobody without the key can guess. Only the
    demo uses this; real links are random (``new_token``).
    """
    message = f"casedesk-demo-magic-link:{contact.pk}:{case.pk}:{attempt}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()


class Command(BaseCommand):
    help = "Load a believable demo agency (idempotent) and print every login."

    def handle(self, *args: Any, **options: Any) -> None:
        tally = Tally()
        steps = [
            "platform",
            "agency",
            "team",
            "clients",
            "help centre",
            "support chats",
            *[spec.title for spec in CASES],
            "other agency",
        ]
        progress = tqdm(
            steps, desc="demo data", unit="step", file=sys.stderr, disable=options["verbosity"] == 0
        )
        users: dict[str, User] = {}
        contacts: dict[str, Contact] = {}
        agency: Agency | None = None
        for step in progress:
            progress.set_postfix_str(step[:30])
            with transaction.atomic():
                if step == "platform":
                    users.update(self._platform(tally))
                elif step == "agency":
                    # The demo shows the customer widget on the portal and storefront from the start.
                    agency = self._agency(AGENCY, tally, support_widget_for_customers=True)
                elif step == "team":
                    assert agency is not None
                    for email, name, role in TEAM:
                        users[email] = self._member(agency, email, name, role, tally)
                elif step == "clients":
                    assert agency is not None
                    contacts.update(self._clients(agency, tally))
                elif step == "help centre":
                    assert agency is not None
                    self._help_centre(agency, tally)
                elif step == "support chats":
                    assert agency is not None
                    self._support_chats(agency, users, tally)
                elif step == "other agency":
                    self._other_agency(users, tally)
                else:
                    assert agency is not None
                    spec = next(s for s in CASES if s.title == step)
                    self._case(agency, spec, users, contacts, tally)
        progress.close()
        assert agency is not None
        link = self._demo_magic_link(agency, contacts[GRACE])
        self._report(tally, link, contacts[GRACE])

    # --- builders ---------------------------------------------------------------------------

    def _user(self, email: str, name: str, tally: Tally, **extra: Any) -> User:
        user = User.objects.filter(email=email).first()
        if user is None:
            user = User.objects.create_user(email, DEMO_PASSWORD, name=name, **extra)
            tally.add("users", True)
        return user

    def _agency(self, spec: dict[str, str], tally: Tally, **extra: Any) -> Agency:
        agency, created = Agency.objects.get_or_create(
            slug=spec["slug"],
            defaults={"name": spec["name"], "brand_color": spec.get("brand_color", "#4f46e5"), **extra},
        )
        tally.add("agencies", created)
        return agency

    def _member(self, agency: Agency, email: str, name: str, role: str, tally: Tally, **extra: Any) -> User:
        user = self._user(email, name, tally, **extra)
        _, created = Membership.objects.get_or_create(user=user, agency=agency, defaults={"role": role})
        tally.add("memberships", created)
        return user

    def _platform(self, tally: Tally) -> dict[str, User]:
        platform = self._agency(PLATFORM, tally, is_platform=True)
        email, name = PLATFORM_STAFF
        staff = self._member(platform, email, name, Role.MEMBER, tally, is_platform_staff=True)
        return {email: staff}

    def _help_centre(self, agency: Agency, tally: Tally) -> None:
        """The platform's own articles (from casedesk/support/help/) and a few of the agency's."""
        created, _ = seed_help_articles()
        for _ in range(created):
            tally.add("platform help articles", True)
        for slug, title, body, questions in AGENCY_ARTICLES:
            _, made = HelpArticle.objects.get_or_create(
                agency=agency,
                slug=slug,
                defaults={"title": title, "body": body, "example_questions": "\n".join(questions)},
            )
            tally.add("agency help articles", made)

    def _support_chats(self, agency: Agency, users: dict[str, User], tally: Tally) -> None:
        """The storefront widget's conversations, through the real bot (``CHATS``). Once only: a
        second run finds the agency's conversations and adds none."""
        if Conversation.objects.filter(agency=agency).exists():
            return
        # The index builds off the request path; wait for it so the demo's answers are the engine's.
        index_for(agency.pk)
        wait_for_rebuilds()
        for chat in CHATS:
            visitor = do_get_or_create_visitor(agency=agency, name=chat.visitor, email=chat.email)
            page_url = f"{settings.SITE_URL}{chat.page}"
            conversation = do_start_conversation(agency=agency, visitor=visitor, page_url=page_url)
            lines = do_post_visitor_message(conversation=conversation, body=chat.question, page_url=page_url)
            answer = next((line for line in lines if line.kind == MessageKind.BOT_ANSWER), None)
            if answer is not None and chat.helpful is not None:
                do_feedback(conversation=conversation, message_id=answer.pk, helpful=chat.helpful)
            if chat.reply:
                do_reply_as_agent(conversation=conversation, user=users[LEO], body=chat.reply)
            tally.add("support conversations", True)

    def _clients(self, agency: Agency, tally: Tally) -> dict[str, Contact]:
        found: dict[str, Contact] = {}
        for client_name, people in CLIENTS.items():
            client, created = Client.objects.get_or_create(agency=agency, name=client_name)
            tally.add("clients", created)
            for email, name, portal in people:
                user = self._user(email, name, tally) if portal else None
                contact, created = Contact.objects.get_or_create(
                    agency=agency, email=email, defaults={"client": client, "name": name, "user": user}
                )
                tally.add("contacts", created)
                found[email] = contact
        return found

    def _case(
        self,
        agency: Agency,
        spec: CaseSpec,
        users: dict[str, User],
        contacts: dict[str, Contact],
        tally: Tally,
    ) -> Case:
        existing = Case.objects.filter(agency=agency, title=spec.title).first()
        if existing is not None:
            return existing
        client = Client.objects.get(agency=agency, name=spec.client)
        case = do_create_case(
            agency=agency,
            client=client,
            title=spec.title,
            contacts=[contacts[e] for e in spec.contacts],
            members=[users[e] for e in spec.members],
        )
        tally.add("cases", True)
        start = timezone.now() - timedelta(days=spec.days_ago)
        step = timedelta(days=spec.days_ago) / (len(spec.posts) + 1)
        for index, post in enumerate(spec.posts):
            author_contact = contacts.get(post.who)
            message = do_post_message(
                case=case,
                body=post.body,
                author_user=author_contact.user if author_contact else users[post.who],
                author_contact=author_contact,
                internal_only=post.internal,
            )
            # History is backdated so the thread reads like weeks of work, not one second.
            when = start + step * (index + 1)
            Message.objects.filter(pk=message.pk).update(created_at=when)
            tally.add("messages", True)
        if spec.posts:
            last = start + step * len(spec.posts)
            Case.objects.filter(pk=case.pk).update(created_at=start, updated_at=last, last_message_at=last)
        if spec.status != CaseStatus.OPEN:
            case.refresh_from_db()
            do_set_case_status(case=case, status=spec.status)
            Case.objects.filter(pk=case.pk).update(updated_at=start + step * max(len(spec.posts), 1))
        return case

    def _other_agency(self, users: dict[str, User], tally: Tally) -> None:
        agency = self._agency(OTHER_AGENCY, tally)
        email, name = OTHER_OWNER
        users[email] = self._member(agency, email, name, Role.OWNER, tally)
        # Leo works for both agencies, to show the agency switcher.
        _, created = Membership.objects.get_or_create(
            user=users[LEO], agency=agency, defaults={"role": Role.MEMBER}
        )
        tally.add("memberships", created)
        client_name, contact_email, contact_name = OTHER_CLIENT
        client, created = Client.objects.get_or_create(agency=agency, name=client_name)
        tally.add("clients", created)
        contact, created = Contact.objects.get_or_create(
            agency=agency, email=contact_email, defaults={"client": client, "name": contact_name}
        )
        tally.add("contacts", created)
        spec = CaseSpec(
            OTHER_CASE,
            client_name,
            [contact_email],
            [email],
            days_ago=3,
            posts=[
                Post(contact_email, "Can you storyboard a 30-second trailer for our new game?"),
                Post(email, "Yes! Sending three directions by Friday."),
            ],
        )
        self._case(agency, spec, users, {contact_email: contact}, tally)

    def _demo_magic_link(self, agency: Agency, contact: Contact) -> str:
        """The same working link on every run; a new one once the old one stopped working or was used."""
        case = (
            Case.objects.filter(agency=agency, case_contacts__contact=contact).order_by("-updated_at").first()
        )
        assert case is not None
        for attempt in range(1000):
            token = demo_magic_token(contact, case, attempt)
            link = MagicLink.objects.filter(token_hash=hash_token(token)).first()
            if link is None:
                issued: IssuedMagicLink = do_issue_magic_link(contact=contact, case=case, token=token)
                return issued.url
            if link.is_usable and not link.is_bound:  # a bound link opens only in its browser
                return magic_link_url(token)
        raise RuntimeError("Could not find a free demo magic link.")

    # --- output -----------------------------------------------------------------------------

    def _report(self, tally: Tally, magic_url: str, magic_contact: Contact) -> None:
        out = self.stdout
        if tally.total:
            made = ", ".join(f"{n} {what}" for what, n in tally.created.items())
            out.write(self.style.SUCCESS(f"Demo data loaded: {made}."))
        else:
            out.write("Demo data is already loaded; nothing changed.")
        out.write("")
        out.write(f"Sign in at {settings.SITE_URL}/accounts/login/ — every password is: {DEMO_PASSWORD}")
        rows: list[tuple[str, str]] = []
        for email, name, role in TEAM:
            rows.append((email, f"{name}, {Role(role).label.lower()} of {AGENCY['name']}"))
        for client_name, people in CLIENTS.items():
            for email, name, portal in people:
                if portal:
                    rows.append((email, f"{name}, portal client at {client_name}"))
        rows.append((PLATFORM_STAFF[0], f"{PLATFORM_STAFF[1]}, platform support staff"))
        rows.append((OTHER_OWNER[0], f"{OTHER_OWNER[1]}, owner of {OTHER_AGENCY['name']} (another agency)"))
        width = max(len(email) for email, _ in rows)
        for email, who in rows:
            out.write(f"  {email.ljust(width)}  {who}")
        out.write("")
        out.write(f"{magic_contact.name} ({magic_contact.email}) has no portal account; their magic link:")
        out.write(f"  {magic_url}")
        out.write("")
        out.write(f"Storefront with the support widget: {settings.SITE_URL}/s/{AGENCY['slug']}/")
        out.write(f"Captured email (reply as a contact): {settings.SITE_URL}/dev/mailbox")
