from kivy.uix.screenmanager import Screen


class BalanceScreen(Screen):
    pass
